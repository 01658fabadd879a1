import { connect as tcpConnect } from 'node:net';
import { once } from 'node:events';
import { buildTopic, encode, topicFilter, type Channel } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { connect, type IClientOptions, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import { generate, type IConnectPacket, type Packet } from 'mqtt-packet';
import { connectClient, startRedis, startTestBroker, type RedisServer, type TestBroker } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './in-memory.test.js';

// CleanSession=0 sessions in cluster mode (aedes-persistence-redis): see subscription-store.ts
type Sent = 'telemetry' | 'heartbeat' | 'state' | 'model/desired';
const device = { username: 'press-01', password: 'press-secret', role: 'device' as const };
const service = { username: 'service', password: 'service-secret' };
const topic = (channel: Sent, dev = 'press-01') =>
  buildTopic({ site: 'plant-a', line: 'line-1', device: dev, channel });
/** what apps/ingestor subscribes by default */
const INGESTOR_FILTERS = (
  [
    'telemetry',
    'features',
    'anomaly',
    'inspection',
    'state',
    'heartbeat',
    'label',
  ] as const satisfies readonly Channel[]
).map((channel) => topicFilter({ channel }));
const seqOf = (payload: Buffer) => JSON.parse(payload.toString()).seq as number;

/** Publishes one QoS 1 message as service (may publish any takt/v1 topic) and disconnects. */
async function publish(b: TestBroker, channel: Sent, seq: number, dev = 'press-01'): Promise<void> {
  const pub = await connectClient(b.url, service);
  try {
    await pub.publishAsync(topic(channel, dev), encode(channel, sampleMessage(channel, dev, seq)), { qos: 1 });
  } finally {
    await pub.endAsync();
  }
}

/** SUBSCRIBE that fails fast with a clear error when no SUBACK comes (the bug this file guards against). */
function subscribeOrTimeout(c: MqttClient, filters: string[], ms = 5000): Promise<ISubscriptionGrant[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no SUBACK for ${filters.length} filters within ${ms} ms`)), ms);
    c.subscribe(filters, { qos: 1 }, (err, granted) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(granted ?? []);
    });
  });
}

/** Connects (listening before CONNACK: queued messages may come in the same read) and collects `count` message seqs. */
async function reconnectAndCollect(
  url: string,
  options: IClientOptions,
  count: number,
): Promise<{ client: MqttClient; sessionPresent: boolean; seqs: number[] }> {
  const client = connect(url, { ...service, clean: false, reconnectPeriod: 0, ...options });
  const seqs: number[] = [];
  const got = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`got ${JSON.stringify(seqs)}, expected ${count} messages`)),
      10_000,
    );
    client.on('message', (_t, payload) => {
      seqs.push(seqOf(payload));
      if (seqs.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  await got;
  return { client, sessionPresent: connack.sessionPresent, seqs };
}

/** A raw MQTT connection over TCP, logged in; throws unless CONNACK 0. */
async function rawLogin(b: TestBroker, fields: Partial<IConnectPacket>): Promise<RawClient> {
  const socket = tcpConnect(b.port, '127.0.0.1');
  await once(socket, 'connect');
  const c = new RawClient(socket);
  expect(await c.connect({ clean: false, ...fields })).toMatchObject({ cmd: 'connack', returnCode: 0 });
  return c;
}

async function rawDisconnect(c: RawClient): Promise<void> {
  c.send({ cmd: 'disconnect' });
  await c.closed;
}

describe('cluster mode: CleanSession=0 sessions with several filters', () => {
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

  it('SUBACKs a CleanSession=0 SUBSCRIBE of 7 filters (aedes 1.2 + aedes-persistence-redis alone never does)', async () => {
    const c = await connectClient(a.url, { ...service, clientId: 'service-multi-suback', clean: false });
    try {
      expect((await subscribeOrTimeout(c, INGESTOR_FILTERS)).map((g) => g.qos)).toEqual(INGESTOR_FILTERS.map(() => 1));
    } finally {
      c.end(true);
    }
  });

  it('SUBACKs two SUBSCRIBE packets that share their first filter and arrive in one read', async () => {
    const c = await rawLogin(a, {
      clientId: 'service-two-packets',
      username: service.username,
      password: Buffer.from(service.password),
    });
    const subscriptions = [
      { topic: INGESTOR_FILTERS[0] as string, qos: 1 as const },
      { topic: INGESTOR_FILTERS[1] as string, qos: 1 as const },
    ];
    c.writeRaw(Buffer.concat([1, 2].map((messageId) => generate({ cmd: 'subscribe', messageId, subscriptions })))); // one TCP write
    const acks = [
      (await c.next(5000)) as Packet & { granted: number[] },
      (await c.next(5000)) as Packet & { granted: number[] },
    ];
    expect(acks.map((p) => [p.cmd, p.messageId, p.granted])).toEqual([
      ['suback', 1, [1, 1]],
      ['suback', 2, [1, 1]],
    ]);
    await rawDisconnect(c);
  });

  it('delivers QoS 1 messages queued while the session was offline, on reconnect and after a broker restart', async () => {
    const id = 'service-multi-queue';
    const first = await connectClient(a.url, { ...service, clientId: id, clean: false });
    expect(
      (
        await subscribeOrTimeout(first, [
          topicFilter({ channel: 'telemetry' }),
          topicFilter({ channel: 'heartbeat' }),
          topicFilter({ channel: 'state' }),
        ])
      ).length,
    ).toBe(3);
    await first.endAsync();
    await publish(a, 'heartbeat', 1);
    const back = await reconnectAndCollect(a.url, { clientId: id }, 1);
    expect(back).toMatchObject({ sessionPresent: true, seqs: [1] });
    await back.client.endAsync();

    await publish(b, 'telemetry', 2); // queued in redis by the other broker…
    await a.restart(); // …survives this one's restart…
    await publish(a, 'state', 3); // …and the restarted broker reloaded the session's filters from redis
    const again = await reconnectAndCollect(a.url, { clientId: id }, 2);
    try {
      expect(again).toMatchObject({ sessionPresent: true, seqs: [2, 3] });
      const live = new Promise<number>((resolve) => again.client.once('message', (_t, p) => resolve(seqOf(p))));
      await publish(b, 'heartbeat', 4); // live, without subscribing again
      expect(await live).toBe(4);
    } finally {
      await again.client.endAsync();
    }
  });

  it('ingestor-style client (7 filters, fixed client id, SUBSCRIBE on every connect) keeps working across a broker restart', async () => {
    // the options apps/ingestor connects with
    const client = connect(a.url, {
      ...service,
      clientId: 'service-ingestor-test',
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 200,
      connectTimeout: 2000,
    });
    const connects: { sessionPresent: boolean; granted?: number[]; err?: string }[] = [];
    const seqs: number[] = [];
    client.on('connect', (connack) => {
      const entry: (typeof connects)[number] = { sessionPresent: connack.sessionPresent };
      connects.push(entry);
      client.subscribe(INGESTOR_FILTERS, { qos: 1 }, (err, granted) => {
        if (err) entry.err = err.message;
        else entry.granted = (granted ?? []).map((g) => g.qos);
      });
    });
    client.on('message', (_t, p) => seqs.push(seqOf(p)));
    const until = async (what: string, done: () => boolean) => {
      for (const t0 = Date.now(); !done(); await new Promise((r) => setTimeout(r, 50)))
        if (Date.now() - t0 > 15_000)
          throw new Error(`${what}: connects ${JSON.stringify(connects)}, seqs ${JSON.stringify(seqs)}`);
    };
    const subscribed = (n: number) => () =>
      connects.length === n && (connects[n - 1]?.granted !== undefined || connects[n - 1]?.err !== undefined);
    try {
      await until('first SUBACK', subscribed(1));
      await publish(b, 'telemetry', 10);
      await until('live message', () => seqs.length === 1);
      await a.stop();
      await publish(b, 'heartbeat', 11); // while the ingestor is disconnected
      await a.start();
      await until(
        'subscribed again after the restart, and the queued message',
        () => subscribed(2)() && seqs.length === 2,
      );
      await publish(b, 'state', 12);
      await until('live message after the restart', () => seqs.length === 3);
      // a duplicate would arrive before a later message to the same session: wait for one
      await publish(b, 'state', 13);
      await until('a later message', () => seqs.includes(13));
      // the session outlived the broker process (redis), so mqtt.js sends no second SUBSCRIBE and grants locally
      expect(connects).toEqual([
        { sessionPresent: false, granted: INGESTOR_FILTERS.map(() => 1) },
        { sessionPresent: true, granted: [] },
      ]);
      expect(seqs).toEqual([10, 11, 12, 13]);
    } finally {
      client.end(true);
    }
  });

  it('BAD INPUT - a filter the ACL refuses in a CleanSession=0 SUBSCRIBE is not stored: nothing on it is queued for the offline client', async () => {
    const login = { clientId: 'press-01-session', username: device.username, password: Buffer.from(device.password) };
    const dev = await rawLogin(a, login);
    dev.send({
      cmd: 'subscribe',
      messageId: 7,
      subscriptions: [topic('model/desired'), topic('heartbeat', 'press-02'), topic('telemetry')].map((t) => ({
        topic: t,
        qos: 1 as const,
      })),
    });
    expect(await dev.next(5000)).toMatchObject({ cmd: 'suback', messageId: 7, granted: [1, 128, 128] });
    await rawDisconnect(dev);
    await publish(a, 'heartbeat', 20, 'press-02'); // refused filter: must not be queued
    await publish(a, 'telemetry', 21); // refused filter
    await publish(a, 'model/desired', 22); // granted filter: queued
    const back = await rawLogin(a, login);
    expect(await back.next(5000)).toMatchObject({ cmd: 'publish', topic: topic('model/desired') });
    expect(await back.silent(500)).toBe(true);
    await rawDisconnect(back);
  });
});
