import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, type RawSampleBatch } from '@takt/contracts';
import { createLogger } from '@takt/runtime';
import { connectClient, startTestBroker, type TestBroker } from '@takt/testing';
import { IntakeSink } from '../testing/intake-sink.js';
import { MqttSource } from './mqtt-source.js';

const addr = { site: 'plant-1', line: 'line-1', device: 'pump-1' };
const logger = createLogger('test');

/** A broker down in the worst way: it accepts each TCP connection and drops it at once; records when. */
async function droppingBroker(): Promise<{
  url: string;
  accepted: number[];
  next: (n: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  const accepted: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((socket) => {
    accepted.push(performance.now());
    socket.destroy();
    for (const w of waiters.filter((x) => accepted.length >= x.n)) w.resolve();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    accepted,
    next: (n) => new Promise<void>((resolve) => (accepted.length >= n ? resolve() : waiters.push({ n, resolve }))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const batch = (seq: number): RawSampleBatch => ({
  schemaVersion: 1,
  deviceId: addr.device,
  ts: 1_767_225_600_100 + seq * 100,
  seq,
  t0: 1_767_225_600_000 + seq * 100,
  sensors: { temperature: { rate: 10, values: [40] } },
});

describe('MqttSource reconnects', () => {
  it(
    'BAD BROKER - backs off exponentially with full jitter up to the cap instead of retrying at a fixed rate',
    { timeout: 15_000 },
    async () => {
      const broker = await droppingBroker();
      const draws: number[] = [];
      // the highest draw of the full jitter: delays 39, 79, 159, 319, 319 ms
      const source = new MqttSource({
        url: broker.url,
        selector: { devices: [addr] },
        logger,
        reconnectMs: 40,
        reconnectMaxMs: 320,
        random: () => (draws.push(0.999), 0.999),
      });
      try {
        await source.start(new IntakeSink().handlers);
        await broker.next(6);
        await source.stop();
        const gaps = broker.accepted.slice(1, 6).map((t, i) => t - (broker.accepted[i] as number));
        const shown = gaps.map(Math.round).join(', ');
        const floor = [39, 79, 159, 319, 319];
        gaps.forEach((g, i) => expect(g, `gap ${i}: ${shown} ms`).toBeGreaterThanOrEqual((floor[i] as number) - 2));
        // the waits grow (a fixed period would keep them equal) and each is drawn from the jitter
        expect(gaps[3] as number, `gaps ${shown} ms`).toBeGreaterThan(3 * (gaps[0] as number));
        expect(draws.length).toBeGreaterThanOrEqual(5);
        const stoppedAt = broker.accepted.length;
        await new Promise((r) => setTimeout(r, 500));
        expect(broker.accepted.length, 'no reconnect after stop').toBe(stoppedAt);
      } finally {
        await source.stop();
        await broker.close();
      }
    },
  );
});

describe('MqttSource over a broker that is SIGKILLed and restarted', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => broker?.close());

  it(
    'subscribes again on the new connection: batches published after the restart arrive',
    { timeout: 40_000 },
    async () => {
      const sink = new IntakeSink();
      const source = new MqttSource({
        url: broker.url,
        username: 'service',
        password: 'service-secret',
        selector: { devices: [addr] },
        logger,
        reconnectMs: 50,
        reconnectMaxMs: 400,
      });
      const publish = async (seqs: number[]) => {
        const c = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
        for (const s of seqs)
          await c.publishAsync(buildTopic({ ...addr, channel: 'raw' }), JSON.stringify(batch(s)), { qos: 1 });
        await c.endAsync();
      };
      try {
        await source.start(sink.handlers);
        await new Promise<void>((resolve) => {
          const wait = () => (source.connects > 0 ? resolve() : setTimeout(wait, 20));
          wait();
        });
        await new Promise((r) => setTimeout(r, 200)); // SUBACK
        await publish([0, 1]);
        await sink.until('two batches', () => sink.batches.length === 2);
        await broker.kill();
        await new Promise((r) => setTimeout(r, 1_000)); // refused reconnects meanwhile
        await broker.start();
        await new Promise<void>((resolve) => {
          const wait = () => (source.connects > 1 ? resolve() : setTimeout(wait, 20));
          wait();
        });
        await new Promise((r) => setTimeout(r, 200));
        await publish([2, 3]);
        await sink.until('batches after the restart', () => sink.batches.length === 4);
        expect(sink.batches.map((b) => b.seq)).toEqual([0, 1, 2, 3]);
      } finally {
        await source.stop();
      }
    },
  );
});
