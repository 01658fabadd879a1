import { buildTopic, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINEER, PRESS, SERVICE, startMemoryBroker, type MemoryBroker, type RawClient } from './in-memory.test.js';

type Channel = 'heartbeat' | 'telemetry' | 'label' | 'model/desired' | 'state';
const topic = (channel: Channel, device = 'press-01') =>
  buildTopic({ site: 'plant-a', line: 'line-1', device, channel });
const message = (channel: Channel, device = 'press-01', seq = 0) =>
  encode(channel, sampleMessage(channel, device, seq));

let mid = 1;
async function subscribe(c: RawClient, ...filters: string[]): Promise<number[]> {
  const messageId = mid++;
  c.send({ cmd: 'subscribe', messageId, subscriptions: filters.map((f) => ({ topic: f, qos: 1 as const })) });
  const ack = (await c.next()) as Packet & { granted: number[] };
  expect(ack).toMatchObject({ cmd: 'suback', messageId });
  return ack.granted;
}
async function publish(c: RawClient, t: string, payload: Buffer | string): Promise<void> {
  const messageId = mid++;
  c.send({ cmd: 'publish', topic: t, payload, qos: 1, messageId, retain: false, dup: false });
  expect(await c.nextAck('puback', messageId)).toMatchObject({ cmd: 'puback', messageId }); // acknowledged even when dropped (MQTT 3.1.1)
}
const seqOf = (p: Packet) => JSON.parse((p as { payload: Buffer }).payload.toString()).seq as number;

describe('authentication (in-memory)', () => {
  let mem: MemoryBroker;
  beforeAll(async () => {
    mem = await startMemoryBroker({ config: { loginThrottle: { stepMs: 800, maxDelayMs: 800 } } });
  });
  afterAll(async () => {
    await mem?.close();
  });

  it('BAD INPUT - wrong password gets CONNACK 4 and the connection is closed', async () => {
    const c = mem.open('10.0.0.9');
    expect(await c.connect({ username: PRESS.username, password: Buffer.from('nope') })).toMatchObject({
      cmd: 'connack',
      returnCode: 4,
    });
    await c.closed;
    const unknown = mem.open('10.0.0.10');
    expect(await unknown.connect({ username: 'ghost', password: Buffer.from('x') })).toMatchObject({ returnCode: 4 });
  });

  it('BAD INPUT - anonymous clients are refused with CONNACK 5 unless allowAnonymous', async () => {
    expect(await mem.open('10.0.0.11').connect({})).toMatchObject({ returnCode: 5 });
    const open = await startMemoryBroker({ config: { allowAnonymous: true }, users: [SERVICE] });
    try {
      const anon = open.open();
      expect(await anon.connect({})).toMatchObject({ returnCode: 0 });
      expect(await subscribe(anon, 'takt/v1/#')).toEqual([128]); // role "anonymous" has no default rights
    } finally {
      await open.close();
    }
  });

  it('slows down repeated failures from one address, not from others, and forgives after a success', async () => {
    const attempt = async (address: string, password: string) => {
      const t0 = Date.now();
      const ack = (await mem.open(address).connect({ username: PRESS.username, password: Buffer.from(password) })) as {
        returnCode: number;
      };
      return { ms: Date.now() - t0, code: ack.returnCode };
    };
    await attempt('10.1.1.1', 'bad');
    await attempt('10.1.1.1', 'bad');
    const third = await attempt('10.1.1.1', 'bad');
    expect(third.code).toBe(4);
    expect(third.ms).toBeGreaterThanOrEqual(790);
    const other = await attempt('10.2.2.2', 'bad');
    expect(other.ms).toBeLessThan(790);
    const good = await attempt('10.1.1.1', PRESS.password); // still delayed, but succeeds…
    expect(good).toMatchObject({ code: 0 });
    expect((await attempt('10.1.1.1', PRESS.password)).ms).toBeLessThan(790); // …and clears the address
  });
});

describe('authorization and validation (in-memory)', () => {
  let mem: MemoryBroker;
  let watcher: RawClient;
  beforeAll(async () => {
    mem = await startMemoryBroker({ config: { validation: { maxInvalid: 3, windowMs: 60_000 } } });
    watcher = await mem.login(SERVICE);
    expect(await subscribe(watcher, 'takt/v1/#')).toEqual([1]);
  });
  afterAll(async () => {
    await mem?.close();
  });
  const rejections = (reason: string) => mem.broker.metrics.count(mem.broker.metrics.rejections, reason);

  it('lets a device read only its own model/desired: other filters get SUBACK 0x80, a wildcard is granted and delivers only its own', async () => {
    const dev = await mem.login(PRESS);
    expect(
      await subscribe(dev, topic('model/desired'), topic('model/desired', 'press-02'), 'takt/v1/#', topic('telemetry')),
    ).toEqual([1, 128, 1, 128]);
    expect(rejections('subscribe_denied')).toBe(2);
    dev.end();
  });

  it('BAD INPUT - a device publish outside its own topics is acknowledged, dropped and counted; the client stays', async () => {
    const dev = await mem.login(PRESS);
    await publish(dev, topic('heartbeat', 'press-02'), message('heartbeat', 'press-02', 1)); // another device
    await publish(dev, topic('model/desired'), message('model/desired', 'press-01', 2)); // command channel
    await publish(dev, 'factory/other', 'x');
    expect(rejections('publish_denied')).toBe(3);
    await publish(dev, topic('heartbeat'), message('heartbeat', 'press-01', 3));
    expect(seqOf(await watcher.next())).toBe(3); // only the allowed one arrived
    expect(await watcher.silent()).toBe(true);
    dev.end();
  });

  it('lets an engineer read everything and publish only labels', async () => {
    const eng = await mem.login(ENGINEER);
    expect(await subscribe(eng, 'takt/v1/#', '$SYS/#')).toEqual([1, 128]);
    await publish(eng, topic('telemetry'), message('telemetry', 'press-01', 4));
    await publish(eng, topic('label'), message('label', 'press-01', 5));
    expect(seqOf(await watcher.next())).toBe(5);
    eng.end();
  });

  it('BAD INPUT - invalid payloads are dropped and counted by reason; the client stays connected', async () => {
    const dev = await mem.login(PRESS);
    const good = JSON.parse(message('heartbeat').toString()) as Record<string, unknown>;
    await publish(dev, topic('heartbeat'), '{"schemaVersion":1,'); // invalid JSON
    await publish(dev, topic('heartbeat'), JSON.stringify({ ...good, uptimeS: undefined })); // wrong schema
    await publish(dev, topic('heartbeat'), JSON.stringify({ ...good, deviceId: 'press-02' })); // topic/device mismatch
    expect(await watcher.silent()).toBe(true);
    const invalid = (code: string) => mem.broker.metrics.count(mem.broker.metrics.invalidPayloads, code);
    expect([invalid('INVALID_JSON'), invalid('MISSING_FIELD'), invalid('DEVICE_MISMATCH')]).toEqual([1, 1, 1]);
    await publish(dev, topic('heartbeat'), message('heartbeat', 'press-01', 6));
    expect(seqOf(await watcher.next())).toBe(6);
    dev.end();
  });

  it('BAD INPUT - a client that keeps sending invalid payloads is disconnected', async () => {
    const svc = await mem.login(SERVICE);
    for (let i = 0; i < 3; i++) await publish(svc, topic('heartbeat'), 'not json');
    svc.send({
      cmd: 'publish',
      topic: topic('heartbeat'),
      payload: 'still not json',
      qos: 1,
      messageId: 999,
      retain: false,
      dup: false,
    });
    await svc.closed;
    expect(rejections('invalid_payload_flood')).toBe(1);
    expect(watcher.isClosed).toBe(false);
  });

  it('BAD INPUT - a payload over its channel limit is dropped as TOO_LARGE', async () => {
    const svc = await mem.login(SERVICE);
    const big = JSON.stringify({ ...JSON.parse(message('heartbeat').toString()), pad: 'x'.repeat(5000) });
    await publish(svc, topic('heartbeat'), big);
    expect(mem.broker.metrics.count(mem.broker.metrics.invalidPayloads, 'TOO_LARGE')).toBe(1);
    expect(await watcher.silent()).toBe(true);
    svc.end();
  });

  it('BAD INPUT - a filter refused in a CleanSession=0 SUBSCRIBE is not kept in the session: nothing on it is queued while offline', async () => {
    const login = { clientId: 'press-01-persistent', clean: false };
    const dev = await mem.login(PRESS, login);
    expect(await subscribe(dev, topic('model/desired'), topic('heartbeat', 'press-02'), topic('telemetry'))).toEqual([
      1, 128, 128,
    ]);
    dev.send({ cmd: 'disconnect' });
    await dev.closed;
    const svc = await mem.login(SERVICE);
    await publish(svc, topic('heartbeat', 'press-02'), message('heartbeat', 'press-02', 30)); // refused filter
    await publish(svc, topic('telemetry'), message('telemetry', 'press-01', 31)); // refused filter
    await publish(svc, topic('model/desired'), message('model/desired', 'press-01', 32)); // granted filter
    svc.end();
    expect([seqOf(await watcher.next()), seqOf(await watcher.next()), seqOf(await watcher.next())]).toEqual([
      30, 31, 32,
    ]);
    const back = await mem.login(PRESS, login);
    const queued = await back.next();
    expect(queued).toMatchObject({ cmd: 'publish', topic: topic('model/desired') });
    expect(seqOf(queued)).toBe(32);
    expect(await back.silent(300)).toBe(true);
    back.end();
  });

  it('BAD INPUT - a will the client may not publish is not delivered', async () => {
    const dev = await mem.login(PRESS, {
      will: { topic: topic('state', 'press-02'), payload: message('state', 'press-02'), qos: 1, retain: false },
    });
    dev.end();
    await dev.closed;
    expect(await watcher.silent(300)).toBe(true);
  });
});
