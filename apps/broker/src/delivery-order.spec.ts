import { buildTopic, encode, topicFilter, type Channel } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import type { MqttClient } from 'mqtt';
import { connectClient, startRedis, startTestBroker, type RedisServer, type TestBroker } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifeId } from './broker.js';

// QoS 1 messages the broker PUBACKed must reach every subscriber, whatever order its persistence
// steps finish in and across restarts (the soak lost `state` and `features` seqs to both).
const service = { username: 'service', password: 'service-secret' };
const topic = (channel: Channel, device: string) => buildTopic({ site: 'plant-a', line: 'line-1', device, channel });
const seqOf = (payload: Buffer) => JSON.parse(payload.toString()).seq as number;

/** Collects `channel/device → seqs` of what a client receives. */
function collect(c: MqttClient): Map<string, Set<number>> {
  const got = new Map<string, Set<number>>();
  c.on('message', (t, payload) => {
    const [, , , , device, channel] = t.split('/');
    const key = `${channel}/${device}`;
    let seqs = got.get(key);
    if (!seqs) got.set(key, (seqs = new Set()));
    seqs.add(seqOf(payload));
  });
  return got;
}

const total = (got: Map<string, Set<number>>) => [...got.values()].reduce((n, s) => n + s.size, 0);

async function until(what: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !what() && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
}

const missing = (got: Map<string, Set<number>>, key: string, n: number) =>
  [...Array(n).keys()].filter((s) => !got.get(key)?.has(s));

describe('broker with Redis persistence: QoS 1 delivery', () => {
  let redis: RedisServer;
  let broker: TestBroker;
  beforeAll(async () => {
    redis = await startRedis();
    broker = await startTestBroker({ redisUrl: redis.url, config: { id: 'broker-1' } }); // a fixed id, as tools/stack gives
  });
  afterAll(async () => {
    await broker?.close();
    await redis?.close();
  });

  it(
    'delivers every message when a later one is routed first: retained state (waits on its store) overtaken by a QoS 0 heartbeat and by features from other boxes',
    { timeout: 30_000 },
    async () => {
      const persistent = await connectClient(broker.url, {
        ...service,
        clientId: 'service-order-persistent',
        clean: false,
      });
      const clean = await connectClient(broker.url, { ...service, clientId: 'service-order-clean' });
      const publishers = await Promise.all([0, 1, 2].map(() => connectClient(broker.url, service)));
      try {
        // what an ingestor subscribes: heartbeats (QoS 0, routed at once) beside the QoS 1 channels
        const filters = [
          topicFilter({ channel: 'state' }),
          topicFilter({ channel: 'features' }),
          topicFilter({ channel: 'heartbeat' }),
        ];
        const got = [collect(persistent), collect(clean)];
        await persistent.subscribeAsync(filters, { qos: 1 });
        await clean.subscribeAsync(filters, { qos: 1 });
        const N = 100;
        const [box, ...others] = publishers as [MqttClient, ...MqttClient[]];
        await Promise.all([
          // an edge box's tick: retained state, then its heartbeat (as the agent's state and heartbeat timers coincide)
          (async () => {
            for (let seq = 0; seq < N; seq++) {
              const sent = box.publishAsync(
                topic('state', 'press-00'),
                encode('state', sampleMessage('state', 'press-00', seq)),
                { qos: 1, retain: true },
              );
              box.publish(
                topic('heartbeat', 'press-00'),
                encode('heartbeat', sampleMessage('heartbeat', 'press-00', seq)),
                { qos: 0 },
              );
              await sent;
            }
          })(),
          ...others.map(async (p, i) => {
            const device = `press-0${i + 1}`;
            for (let seq = 0; seq < N; seq++)
              await p.publishAsync(
                topic('features', device),
                encode('features', sampleMessage('features', device, seq)),
                { qos: 1 },
              );
          }),
        ]);
        await until(
          () =>
            got.every(
              (g) => (g.get('state/press-00')?.size ?? 0) === N && (g.get('features/press-02')?.size ?? 0) === N,
            ),
          5_000,
        );
        for (const [i, g] of got.entries()) {
          const who = i === 0 ? 'persistent' : 'clean';
          expect(missing(g, 'state/press-00', N), `${who} subscriber: state seqs missing`).toEqual([]);
          for (const d of [1, 2])
            expect(missing(g, `features/press-0${d}`, N), `${who} subscriber: features seqs missing`).toEqual([]);
        }
      } finally {
        for (const c of [persistent, clean, ...publishers]) await c.endAsync(true);
      }
    },
  );

  it(
    'keeps messages queued for an offline session across a SIGKILL and restart under the same configured id, while new ones are queued',
    { timeout: 40_000 },
    async () => {
      await broker.kill(); // a fresh life: its routing numbers start low, as they do after every restart
      await broker.start();
      const id = 'service-restart-queue';
      const first = await connectClient(broker.url, { ...service, clientId: id, clean: false });
      await first.subscribeAsync(topicFilter({ channel: 'features' }), { qos: 1 });
      await first.endAsync();
      const N = 60;
      const send = async (from: number) => {
        const p = await connectClient(broker.url, service);
        for (let seq = from; seq < from + N; seq++)
          await p.publishAsync(
            topic('features', 'press-01'),
            encode('features', sampleMessage('features', 'press-01', seq)),
            { qos: 1 },
          );
        await p.endAsync();
      };
      await send(0); // queued in Redis under the first life's routing numbers
      await broker.kill();
      await broker.start();
      await send(N); // the new life numbers from 1 again
      const back = await connectClient(broker.url, { ...service, clientId: id, clean: false });
      const got = collect(back);
      try {
        await until(() => total(got) >= 2 * N, 10_000);
        expect(missing(got, 'features/press-01', 2 * N)).toEqual([]);
      } finally {
        await back.endAsync(true);
      }
    },
  );

  it(
    'PUBACKs a QoS 1 message only once it is kept: SIGKILLed the moment the PUBACK arrives, the restarted broker still delivers it',
    { timeout: 60_000 },
    async () => {
      const id = 'service-puback-kill';
      const sub = await connectClient(broker.url, { ...service, clientId: id, clean: false });
      await sub.subscribeAsync(topicFilter({ channel: 'features' }), { qos: 1 });
      await sub.endAsync();
      const ROUNDS = 4;
      for (let seq = 0; seq < ROUNDS; seq++) {
        const p = await connectClient(broker.url, { ...service, reconnectPeriod: 0 });
        await p.publishAsync(
          topic('features', 'press-09'),
          encode('features', sampleMessage('features', 'press-09', seq)),
          { qos: 1 },
        );
        await broker.kill(); // at once: no time for work the broker left until after the PUBACK
        p.end(true);
        await broker.start();
      }
      const back = await connectClient(broker.url, { ...service, clientId: id, clean: false });
      const got = collect(back);
      try {
        await until(() => total(got) >= ROUNDS, 5_000);
        expect(missing(got, 'features/press-09', ROUNDS)).toEqual([]);
      } finally {
        await back.endAsync(true);
      }
    },
  );

  it('names each life of a broker apart (no ":" for Redis keys)', () => {
    const a = lifeId('broker:1');
    expect(a).toMatch(/^broker-1-[0-9a-z]+$/);
    expect(lifeId('broker:1')).not.toBe(a);
  });
});
