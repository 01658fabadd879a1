import { buildTopic, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESS, rawConnect, SERVICE, startMemoryBroker, type MemoryBroker, type RawClient } from './in-memory.test.js';

const topic = (channel: 'heartbeat' | 'state' | 'telemetry' | 'model/desired', device = 'press-01') =>
  buildTopic({ site: 'plant-a', line: 'line-1', device, channel });
const heartbeat = (seq = 0, device = 'press-01') => encode('heartbeat', sampleMessage('heartbeat', device, seq));

let mid = 1;
async function subscribe(c: RawClient, subscriptions: { topic: string; qos: 0 | 1 | 2 }[]): Promise<number[]> {
  const messageId = mid++;
  c.send({ cmd: 'subscribe', messageId, subscriptions });
  const ack = (await c.next()) as Packet & { granted: number[] };
  expect(ack).toMatchObject({ cmd: 'suback', messageId });
  return ack.granted;
}

async function publish(
  c: RawClient,
  t: string,
  payload: Buffer | string,
  qos: 0 | 1 = 1,
  retain = false,
): Promise<void> {
  const messageId = mid++;
  c.send({ cmd: 'publish', topic: t, payload, qos, retain, dup: false, ...(qos ? { messageId } : {}) });
  if (qos) expect(await c.nextAck('puback', messageId)).toMatchObject({ cmd: 'puback', messageId });
}

describe('protocol strictness (in-memory)', () => {
  let mem: MemoryBroker;
  beforeAll(async () => {
    mem = await startMemoryBroker({ config: { maxPacketSize: 8192, maxTopicLevels: 8, connectTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await mem?.close();
  });

  it('[MQTT-3.1.3-8] BAD INPUT - zero-length client id with CleanSession=0 gets CONNACK 0x02', async () => {
    const c = mem.open();
    c.writeRaw(rawConnect({ clientId: '', clean: false, username: SERVICE.username, password: SERVICE.password }));
    expect(await c.next()).toMatchObject({ cmd: 'connack', returnCode: 2 });
    await c.closed;
    expect(mem.broker.metrics.count(mem.broker.metrics.rejections, 'client_id')).toBe(1);
    const ok = await mem
      .open()
      .connect({ clientId: '', clean: true, username: SERVICE.username, password: Buffer.from(SERVICE.password) });
    expect(ok).toMatchObject({ cmd: 'connack', returnCode: 0 });
  });

  it('[MQTT-3.3.5-1] overlapping subscriptions deliver once, at the highest granted QoS', async () => {
    const sub = await mem.login(SERVICE);
    expect(
      await subscribe(sub, [
        { topic: topic('heartbeat'), qos: 0 },
        { topic: 'takt/v1/#', qos: 1 },
        { topic: 'takt/v1/+/+/+/heartbeat', qos: 0 },
      ]),
    ).toEqual([0, 1, 0]);
    const pub = await mem.login(PRESS);
    await publish(pub, topic('heartbeat'), heartbeat(1), 1);
    expect(await sub.next()).toMatchObject({ cmd: 'publish', topic: topic('heartbeat'), qos: 1 });
    expect(await sub.silent()).toBe(true);
    await publish(pub, topic('heartbeat'), heartbeat(2), 0);
    expect(await sub.next()).toMatchObject({ cmd: 'publish', qos: 0 });
    expect(await sub.silent()).toBe(true);
    sub.end();
    pub.end();
  });

  it('QoS 2 publish completes PUBREC/PUBREL/PUBCOMP and reaches a QoS 2 subscriber once', async () => {
    const sub = await mem.login(SERVICE);
    await subscribe(sub, [{ topic: 'takt/v1/#', qos: 2 }]);
    const pub = await mem.login(PRESS);
    pub.send({
      cmd: 'publish',
      topic: topic('heartbeat'),
      payload: heartbeat(3),
      qos: 2,
      messageId: 77,
      retain: false,
      dup: false,
    });
    expect(await pub.next()).toMatchObject({ cmd: 'pubrec', messageId: 77 });
    pub.send({ cmd: 'pubrel', messageId: 77 });
    expect(await pub.next()).toMatchObject({ cmd: 'pubcomp', messageId: 77 });
    const got = (await sub.next()) as Packet & { messageId: number };
    expect(got).toMatchObject({ cmd: 'publish', qos: 2 });
    sub.send({ cmd: 'pubrec', messageId: got.messageId });
    expect(await sub.next()).toMatchObject({ cmd: 'pubrel', messageId: got.messageId });
    sub.send({ cmd: 'pubcomp', messageId: got.messageId });
    expect(await sub.silent()).toBe(true);
    sub.end();
    pub.end();
  });

  it('keeps a persistent session: QoS 1 messages published while away arrive on reconnect', async () => {
    const first = await mem.login(SERVICE, { clientId: 'svc-ingest-1', clean: false });
    await subscribe(first, [{ topic: 'takt/v1/+/+/+/heartbeat', qos: 1 }]);
    first.send({ cmd: 'disconnect' });
    await first.closed;
    const pub = await mem.login(PRESS);
    await publish(pub, topic('heartbeat'), heartbeat(9), 1);
    const again = mem.open();
    expect(
      await again.connect({
        clientId: 'svc-ingest-1',
        clean: false,
        username: SERVICE.username,
        password: Buffer.from(SERVICE.password),
      }),
    ).toMatchObject({ returnCode: 0, sessionPresent: true });
    const msg = (await again.next()) as Packet & { payload: Buffer };
    expect(msg).toMatchObject({ cmd: 'publish', qos: 1 });
    expect(JSON.parse(msg.payload.toString()).seq).toBe(9);
    again.end();
    pub.end();
  });

  it('persistent session: unacknowledged QoS 1 deliveries come again on reconnect, in order; acknowledged ones never', async () => {
    const sub = await mem.login(SERVICE, { clientId: 'svc-ingest-2', clean: false });
    await subscribe(sub, [{ topic: 'takt/v1/+/+/press-01/heartbeat', qos: 2 }]);
    const pub = await mem.login(PRESS);
    for (let seq = 0; seq < 6; seq++) await publish(pub, topic('heartbeat'), heartbeat(seq), 1);
    const got = [];
    for (let i = 0; i < 6; i++) got.push((await sub.next()) as Packet & { messageId: number; payload: Buffer });
    expect(got.map((g) => JSON.parse(g.payload.toString()).seq)).toEqual([0, 1, 2, 3, 4, 5]);
    // acknowledge 1, 3 and 5, newest first; leave 0, 2 and 4 in flight
    for (const i of [5, 3, 1]) sub.send({ cmd: 'puback', messageId: (got[i] as { messageId: number }).messageId });
    expect(await sub.silent()).toBe(true);
    sub.stream.destroy();
    await sub.closed;
    pub.end(); // nothing more on the subscription while it reconnects
    const again = mem.open();
    expect(
      await again.connect({
        clientId: 'svc-ingest-2',
        clean: false,
        username: SERVICE.username,
        password: Buffer.from(SERVICE.password),
      }),
    ).toMatchObject({ returnCode: 0, sessionPresent: true });
    const redelivered = [];
    for (let i = 0; i < 3; i++)
      redelivered.push((await again.next()) as Packet & { messageId: number; payload: Buffer });
    expect(redelivered.map((g) => JSON.parse(g.payload.toString()).seq)).toEqual([0, 2, 4]);
    for (const r of redelivered) again.send({ cmd: 'puback', messageId: r.messageId });
    expect(await again.silent()).toBe(true);
    again.send({ cmd: 'disconnect' });
    await again.closed;
    const third = mem.open(); // everything acknowledged: nothing comes a third time
    expect(
      await third.connect({
        clientId: 'svc-ingest-2',
        clean: false,
        username: SERVICE.username,
        password: Buffer.from(SERVICE.password),
      }),
    ).toMatchObject({ returnCode: 0 });
    expect(await third.silent()).toBe(true);
    third.end();
  });

  it('keeps retained messages and publishes an authorized will', async () => {
    const dev = await mem.login(PRESS, {
      will: {
        topic: topic('state'),
        payload: encode('state', { ...sampleMessage('state'), status: 'offline' }),
        qos: 1,
        retain: true,
      },
    });
    await publish(dev, topic('state'), encode('state', sampleMessage('state')), 1, true);
    const late = await mem.login(SERVICE);
    await subscribe(late, [{ topic: topic('state'), qos: 1 }]);
    expect(await late.next()).toMatchObject({ cmd: 'publish', retain: true });
    dev.end(); // no DISCONNECT: the will goes out
    const will = (await late.next()) as Packet & { payload: Buffer };
    expect(JSON.parse(will.payload.toString()).status).toBe('offline');
    await publish(late, topic('state'), Buffer.alloc(0), 1, true); // an empty retained payload clears it
    late.end();
    const again = await mem.login(SERVICE);
    await subscribe(again, [{ topic: topic('state'), qos: 1 }]);
    expect(await again.silent()).toBe(true);
    again.end();
  });

  it('BAD INPUT - a packet over maxPacketSize closes the connection from its header alone', async () => {
    const sub = await mem.login(SERVICE);
    await subscribe(sub, [{ topic: 'takt/v1/#', qos: 1 }]);
    const dev = await mem.login(PRESS);
    // fixed header of a 100 MB PUBLISH, no body: refused before anything is buffered
    dev.writeRaw(Buffer.from([0x32, 0x80, 0x80, 0x80, 0x30]));
    await dev.closed;
    const dev2 = await mem.login(PRESS);
    dev2.send({
      cmd: 'publish',
      topic: topic('heartbeat'),
      payload: Buffer.alloc(9000, 0x20),
      qos: 1,
      messageId: 5,
      retain: false,
      dup: false,
    });
    await dev2.closed;
    expect(await sub.silent()).toBe(true);
    expect(mem.broker.metrics.count(mem.broker.metrics.rejections, 'packet_too_large')).toBe(2);
    sub.end();
  });

  it('BAD INPUT - a topic deeper than maxTopicLevels is refused before it is acknowledged', async () => {
    const dev = await mem.login(SERVICE);
    dev.send({
      cmd: 'publish',
      topic: 'takt/v1/a/b/c/d/e/f/g',
      payload: 'x',
      qos: 1,
      messageId: 3,
      retain: true,
      dup: false,
    });
    await dev.closed;
    const sub = await mem.login(SERVICE);
    expect(await subscribe(sub, [{ topic: 'takt/v1/#', qos: 1 }])).toEqual([1]);
    expect(await sub.silent()).toBe(true); // nothing retained
    expect(mem.broker.metrics.count(mem.broker.metrics.rejections, 'topic_too_deep')).toBe(1);
    sub.end();
  });

  it('BAD INPUT - a wildcard in a PUBLISH topic closes the connection; nothing is routed', async () => {
    const sub = await mem.login(SERVICE);
    await subscribe(sub, [{ topic: 'takt/v1/#', qos: 1 }]);
    const dev = await mem.login(SERVICE);
    dev.send({
      cmd: 'publish',
      topic: 'takt/v1/+/line-1/press-01/heartbeat',
      payload: heartbeat(),
      qos: 1,
      messageId: 4,
      retain: false,
      dup: false,
    });
    await dev.closed;
    expect(await sub.silent()).toBe(true);
    sub.end();
  });

  it('BAD INPUT - garbage bytes close only that connection', async () => {
    const sub = await mem.login(SERVICE);
    await subscribe(sub, [{ topic: 'takt/v1/#', qos: 1 }]);
    const bad = mem.open();
    bad.writeRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await bad.closed;
    const bad2 = await mem.login(PRESS);
    bad2.writeRaw(Buffer.from([0xff, 0x00, 0x13, 0x37]));
    await bad2.closed;
    const dev = await mem.login(PRESS);
    await publish(dev, topic('heartbeat'), heartbeat(11), 1);
    expect(await sub.next()).toMatchObject({ cmd: 'publish', topic: topic('heartbeat') });
    sub.end();
    dev.end();
  });

  it('BAD INPUT - a CONNECT that never finishes is dropped after connectTimeoutMs', async () => {
    const silent = mem.open();
    const half = mem.open();
    half.writeRaw(Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d])); // first bytes of a CONNECT
    const t0 = Date.now();
    await Promise.all([silent.closed, half.closed]);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(mem.broker.metrics.count(mem.broker.metrics.rejections, 'connect_timeout')).toBeGreaterThanOrEqual(2);
  });
});
