import type { MqttClient } from 'mqtt';
import { buildTopic, encode, type Channel, type DeviceAddress, type MessageInput } from '@takt/contracts';

/** Test traffic: what edge agents would publish, built and validated through the contracts. */
export class TestFleet {
  readonly #seq = new Map<string, number>();

  constructor(readonly client: MqttClient) {}

  /** `sites` × `lines` × `perLine` device addresses: site-1/line-1/dev-0001 … */
  static addresses(sites: number, lines: number, perLine: number): DeviceAddress[] {
    const out: DeviceAddress[] = [];
    let n = 0;
    for (let s = 1; s <= sites; s++)
      for (let l = 1; l <= lines; l++)
        for (let d = 0; d < perLine; d++)
          out.push({ site: `site-${s}`, line: `line-${l}`, device: `dev-${String(++n).padStart(4, '0')}` });
    return out;
  }

  async publish<C extends Channel>(
    a: DeviceAddress,
    channel: C,
    body: Omit<MessageInput<C>, 'schemaVersion' | 'deviceId' | 'seq'>,
    retain = false,
  ): Promise<void> {
    const key = `${a.device}/${channel}`;
    const seq = this.#seq.get(key) ?? 0;
    this.#seq.set(key, seq + 1);
    const payload = encode(channel, { schemaVersion: 1, deviceId: a.device, seq, ...body } as MessageInput<C>);
    await this.client.publishAsync(buildTopic({ ...a, channel }), payload, { qos: 1, retain });
  }

  /** Retained `state` for every device; every 7th is degraded and every 11th offline, for variety. */
  async publishStates(addresses: DeviceAddress[], ts = Date.now()): Promise<void> {
    await Promise.all(
      addresses.map((a, i) =>
        this.publish(
          a,
          'state',
          {
            ts,
            status: i % 11 === 10 ? 'offline' : i % 7 === 6 ? 'degraded' : 'online',
            models: [
              {
                name: 'pump-anomaly',
                kind: 'kmeans-anomaly',
                version: 3,
                provider: i % 3 === 0 ? 'cuda' : 'cpu',
                since: ts - 3_600_000,
              },
            ],
            provider: i % 3 === 0 ? 'cuda' : 'cpu',
            outboxDepth: i % 13,
            shed: 0,
          },
          true,
        ),
      ),
    );
  }

  /** One telemetry sample and one scored window for `a` at `ts`; `score` drives the anomaly chart. */
  async sample(a: DeviceAddress, ts: number, score: number): Promise<void> {
    const t = ts / 1000;
    await this.publish(a, 'telemetry', {
      ts,
      intervalMs: 200,
      values: {
        temperature: 60 + 4 * Math.sin(t / 20) + score,
        vibration_rms: 0.4 + 0.1 * Math.sin(t) + 0.2 * score,
        current: 12 + Math.cos(t / 7),
      },
    });
    await this.publish(a, 'features', {
      ts,
      windowStart: ts - 1000,
      windowEnd: ts,
      features: { 'vibration.rms': 0.4 },
      score,
      smoothedScore: score * 0.9,
      model: { name: 'pump-anomaly', version: 3 },
    });
  }

  /** Streams samples for `a` every `periodMs` until the returned function is called. */
  stream(
    a: DeviceAddress,
    periodMs = 200,
    score: (ts: number) => number = (ts) => 1 + 0.5 * Math.sin(ts / 3000),
  ): () => void {
    const timer = setInterval(() => {
      const ts = Date.now();
      void this.sample(a, ts, score(ts)).catch(() => undefined);
    }, periodMs);
    return () => clearInterval(timer);
  }

  async anomaly(
    a: DeviceAddress,
    eventId: string,
    state: 'open' | 'close',
    openedAt: number,
    score = 4.2,
    closedAt = Date.now(),
  ): Promise<void> {
    const ts = state === 'open' ? openedAt : closedAt;
    await this.publish(a, 'anomaly', {
      ts,
      eventId,
      state,
      model: { name: 'pump-anomaly', version: 3 },
      score,
      threshold: 2.5,
      openedAt,
      ...(state === 'close' ? { closedAt: ts, peakScore: score } : {}),
    });
  }
}
