import { buildTopic, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { connect } from 'mqtt';
import { waitFor } from '@takt/runtime';
import {
  collectMessages,
  connectClient,
  startRedis,
  startTestBroker,
  type RedisServer,
  type TestBroker,
} from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptions } from './cluster.js';

const device = { username: 'press-01', password: 'press-secret', role: 'device' as const };
const topic = (channel: 'heartbeat' | 'state') =>
  buildTopic({ site: 'plant-a', line: 'line-1', device: 'press-01', channel });
/** `p`, or an error that names the step that did not finish within `ms` (instead of the test's own timeout). */
async function step<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
const login = (b: TestBroker, user = 'service', password = 'service-secret', extra = {}) =>
  connectClient(b.url, { username: user, password, ...extra });

describe('cluster mode: two broker processes sharing one redis-server', () => {
  let redis: RedisServer;
  let a: TestBroker;
  let b: TestBroker;
  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([
      startTestBroker({ users: [device], redisUrl: redis.url }),
      startTestBroker({ users: [device], redisUrl: redis.url }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.close();
  });

  it('delivers a QoS 1 publish made on one broker to a subscriber on the other', async () => {
    const sub = await login(b);
    const pub = await login(a, device.username, device.password);
    try {
      let arrived = false;
      const got = collectMessages(sub, topic('heartbeat'), 1).finally(() => (arrived = true));
      // the subscription reaches the other broker over redis: publish until one is routed across
      await waitFor(
        'a publish routed across brokers',
        async () => {
          await pub.publishAsync(topic('heartbeat'), encode('heartbeat', sampleMessage('heartbeat', 'press-01', 41)), {
            qos: 1,
          });
          return arrived;
        },
        10_000,
        100,
      );
      const [msg] = await got;
      expect(JSON.parse(msg?.payload.toString() ?? '{}').seq).toBe(41);
    } finally {
      sub.end(true);
      pub.end(true);
    }
  });

  it('shows a retained message set via one broker to a late subscriber on the other', async () => {
    const pub = await login(a, device.username, device.password);
    await pub.publishAsync(topic('state'), encode('state', sampleMessage('state', 'press-01', 42)), {
      qos: 1,
      retain: true,
    });
    pub.end(true);
    const late = await login(b);
    try {
      const [msg] = await collectMessages(late, topic('state'), 1);
      expect(JSON.parse(msg?.payload.toString() ?? '{}').seq).toBe(42);
    } finally {
      late.end(true);
    }
  });

  it('keeps a persistent session across brokers: messages queued while away arrive via the other broker', async () => {
    const first = await login(a, 'service', 'service-secret', { clientId: 'service-ingest-x', clean: false });
    await step('SUBACK', first.subscribeAsync(topic('heartbeat'), { qos: 1 }));
    await step('DISCONNECT', first.endAsync());
    await new Promise((r) => setTimeout(r, 500)); // the other broker learns the subscription over redis pub/sub
    const pub = await login(b, device.username, device.password);
    await step(
      'PUBACK',
      pub.publishAsync(topic('heartbeat'), encode('heartbeat', sampleMessage('heartbeat', 'press-01', 43)), { qos: 1 }),
    );
    pub.end(true);
    // listen before CONNACK: the queued message may arrive in the same read as the CONNACK
    const back = connect(b.url, {
      username: 'service',
      password: 'service-secret',
      clientId: 'service-ingest-x',
      clean: false,
      reconnectPeriod: 0,
    });
    try {
      const got = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the queued message did not arrive')), 10_000);
        back.on('message', (_t, p) => {
          clearTimeout(timer);
          resolve(p);
        });
      });
      expect(JSON.parse(got.toString()).seq).toBe(43);
    } finally {
      back.end(true);
    }
  });

  it('reports healthy on both', async () => {
    for (const broker of [a, b])
      expect(await (await fetch(`${broker.metricsUrl}/healthz`)).json()).toMatchObject({ status: 'ok', cluster: true });
  });

  it('reports 503 on /healthz while redis is down, and recovers when it is back', async () => {
    await redis.process.stop();
    await waitFor('healthz 503', async () => (await fetch(`${a.metricsUrl}/healthz`)).status === 503, 10_000);
    await redis.process.start();
    await waitFor('healthz 200', async () => (await fetch(`${a.metricsUrl}/healthz`)).status === 200, 10_000);
  });
});

describe('redis URL', () => {
  it('parses host, port, credentials and database', () => {
    expect(redisOptions('redis://u:p%40ss@h:7000/3')).toEqual({
      host: 'h',
      port: 7000,
      username: 'u',
      password: 'p@ss',
      db: 3,
    });
    expect(redisOptions('redis://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
  });
  it('BAD INPUT - a non-numeric database is a RangeError', () => {
    expect(() => redisOptions('redis://h:1/x')).toThrow(RangeError);
  });
});
