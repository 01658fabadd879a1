import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@takt/runtime';
import { startSilentBroker } from '../testing/silent-broker.js';
import { MqttLink } from './link.js';

/** A broker that is down in the worst way: it accepts each TCP connection and drops it at once. */
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

describe('MqttLink reconnects', () => {
  let link: MqttLink | undefined;
  afterEach(async () => link?.stop());

  it(
    'BAD BROKER - backs off exponentially up to the cap instead of retrying at a fixed rate',
    { timeout: 10_000 },
    async () => {
      const broker = await droppingBroker();
      try {
        // the highest draw of the full jitter: delays 39, 79, 159, 319, 319 ms
        link = new MqttLink({
          url: broker.url,
          reconnectMs: 40,
          reconnectMaxMs: 320,
          random: () => 0.999,
          logger: createLogger('test'),
        });
        link.start();
        await broker.next(6);
        await link.stop();
        const gaps = broker.accepted.slice(1, 6).map((t, i) => t - (broker.accepted[i] as number));
        const floor = [39, 79, 159, 319, 319];
        gaps.forEach((g, i) =>
          expect(g, `gap ${i}: ${gaps.map(Math.round).join(', ')} ms`).toBeGreaterThanOrEqual((floor[i] as number) - 2),
        );
      } finally {
        await broker.close();
      }
    },
  );

  it(
    'BAD BROKER - a broker that takes publishes but never PUBACKs them: the link drops the connection after pubackTimeoutMs and reconnects',
    { timeout: 10_000 },
    async () => {
      const broker = await startSilentBroker();
      try {
        link = new MqttLink({
          url: broker.url,
          pubackTimeoutMs: 200,
          reconnectMs: 10,
          reconnectMaxMs: 20,
          logger: createLogger('test'),
        });
        const connected = new Promise<void>((r) => link?.once('connect', r));
        link.start();
        await connected;
        const answered = new Promise<Error | undefined>((r) =>
          link?.publish('takt/v1/plant-1/line-1/press-01/anomaly', Buffer.from('{}'), { retain: false }, r),
        );
        expect((await answered)?.message).toMatch(/PUBACK/);
        await broker.nextConnection(2);
        expect(broker.publishes).toBe(1);
      } finally {
        await link?.stop();
        await broker.close();
      }
    },
  );
});
