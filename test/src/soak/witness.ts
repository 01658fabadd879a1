import { connect, type MqttClient } from 'mqtt';
import { parseTopic } from '@takt/contracts';

/** What the witness saw of one seq. */
export interface Seen {
  ts: number;
  /** deliveries (more than one: redelivered by the broker, or sent twice by the edge) */
  times: number;
}

/**
 * A second subscriber beside the ingestor: a persistent (CleanSession=0) QoS 1 session on the
 * broker that records every upstream seq it is handed, with the message's `ts`. A seq missing in
 * InfluxDB can then be told apart: the witness never saw it (lost before the broker fanned it out:
 * edge or broker), or saw it (lost after: ingestor or influxd), or saw it with the `ts` of another
 * seq of the same series (overwritten in InfluxDB, where a point is keyed by series and time).
 */
export class Witness {
  readonly #client: MqttClient;
  /** device/channel → seq → seen */
  readonly #seen = new Map<string, Map<number, Seen>>();

  constructor(o: { url: string; username: string; password: string; clientId: string; channels: readonly string[] }) {
    this.#client = connect(o.url, {
      username: o.username,
      password: o.password,
      clientId: o.clientId,
      clean: false,
      reconnectPeriod: 1_000,
    });
    const filters = o.channels.map((c) => `takt/v1/+/+/+/${c}`);
    this.#client.on('connect', (ack) => {
      if (!ack.sessionPresent) this.#client.subscribe(filters, { qos: 1 });
    });
    this.#client.on('error', () => undefined);
    this.#client.on('message', (topic, payload) => {
      try {
        const t = parseTopic(topic);
        const m = JSON.parse(payload.toString()) as { seq?: unknown; ts?: unknown };
        if (typeof m.seq !== 'number' || typeof m.ts !== 'number') return;
        const key = `${t.device}/${t.channel}`;
        let seqs = this.#seen.get(key);
        if (!seqs) this.#seen.set(key, (seqs = new Map()));
        const s = seqs.get(m.seq);
        if (s) s.times++;
        else seqs.set(m.seq, { ts: m.ts, times: 1 });
      } catch {
        // not an upstream message
      }
    });
  }

  /**
   * Why each of `missing` (seqs of a device's channel absent in InfluxDB) is absent:
   * `unseen` (never fanned out by the broker), `overwritten` (another seq carried the same ts),
   * or `lost-downstream` (the broker delivered it; the ingestor or influxd lost it).
   */
  explain(
    device: string,
    channel: string,
    missing: readonly number[],
  ): { unseen: number[]; overwritten: number[]; lostDownstream: number[] } {
    const seqs = this.#seen.get(`${device}/${channel}`) ?? new Map<number, Seen>();
    const byTs = new Map<number, number[]>();
    for (const [seq, s] of seqs) byTs.set(s.ts, [...(byTs.get(s.ts) ?? []), seq]);
    const out = { unseen: [] as number[], overwritten: [] as number[], lostDownstream: [] as number[] };
    for (const seq of missing) {
      const s = seqs.get(seq);
      if (!s) out.unseen.push(seq);
      else if ((byTs.get(s.ts) ?? []).length > 1) out.overwritten.push(seq);
      else out.lostDownstream.push(seq);
    }
    return out;
  }

  /** Seqs the broker handed the witness more than once, per device/channel. */
  redelivered(device: string, channel: string): number {
    return [...(this.#seen.get(`${device}/${channel}`)?.values() ?? [])].filter((s) => s.times > 1).length;
  }

  close(): Promise<void> {
    return this.#client.endAsync();
  }
}
