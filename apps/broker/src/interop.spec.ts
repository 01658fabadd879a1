import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestBroker, type TestBroker } from '@takt/testing';

// The checks of the Eclipse Paho MQTT 3.1.1 interoperability suite (client_test.py), against
// takt-broker in open mode with the suite's ACL: `test/nosubscribe` may not be subscribed to, all else may.
const ACL = 'deny all subscribe test/nosubscribe\nallow all readwrite #\n';

describe('MQTT 3.1.1 interoperability (the Paho suite’s checks) in open mode', () => {
  let broker: TestBroker;
  const clients: MqttClient[] = [];
  const open = async (clientId: string, extra: Parameters<typeof connectClient>[1] = {}) => {
    const c = await connectClient(broker.url, { clientId, protocolVersion: 4, ...extra });
    clients.push(c);
    return c;
  };
  const collect = (c: MqttClient) => {
    const got: { topic: string; payload: string; qos: number; retain: boolean }[] = [];
    c.on('message', (topic, payload, p) =>
      got.push({ topic, payload: payload.toString(), qos: p.qos, retain: p.retain }),
    );
    return got;
  };

  beforeAll(async () => {
    broker = await startTestBroker({ allowAnonymous: true, acl: ACL });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.close();
  });

  it('basic: QoS 0, 1 and 2 publishes reach a QoS 2 subscriber', async () => {
    const c = await open('interop-basic');
    const got = collect(c);
    await c.subscribeAsync('TopicA', { qos: 2 });
    for (const qos of [0, 1, 2] as const) await c.publishAsync('TopicA', `qos ${qos}`, { qos });
    await expect.poll(() => got.map((m) => m.payload).sort(), { timeout: 5_000 }).toEqual(['qos 0', 'qos 1', 'qos 2']);
  });

  it('retained messages are delivered to a new subscriber and cleared by an empty retained publish', async () => {
    const pub = await open('interop-retain-pub');
    for (const [t, qos] of [
      ['TopicA/B', 0],
      ['Topic/C', 1],
      ['TopicA/C', 2],
    ] as const)
      await pub.publishAsync(t, `retained ${qos}`, { qos, retain: true });
    const sub = await open('interop-retain-sub');
    const got = collect(sub);
    await sub.subscribeAsync('+/+', { qos: 2 });
    await expect.poll(() => got.filter((m) => m.retain).length, { timeout: 5_000 }).toBe(3);
    for (const t of ['TopicA/B', 'Topic/C', 'TopicA/C']) await pub.publishAsync(t, '', { qos: 1, retain: true });
    const late = await open('interop-retain-late');
    const none = collect(late);
    await late.subscribeAsync('+/+', { qos: 2 });
    // retained messages are sent on SUBSCRIBE, before anything published after it: a live marker closes the window
    await pub.publishAsync('TopicA/D', 'marker', { qos: 2 });
    await expect.poll(() => none.some((m) => m.payload === 'marker'), { timeout: 5_000 }).toBe(true);
    expect(none.filter((m) => m.retain)).toEqual([]);
  });

  it('offline messages are queued for a persistent session; overlapping subscriptions deliver once at the highest QoS', async () => {
    const away = await open('interop-offline', { clean: false });
    await away.subscribeAsync('+/+', { qos: 2 });
    await away.endAsync();
    const pub = await open('interop-offline-pub');
    for (const qos of [1, 2] as const) await pub.publishAsync('TopicA/B', `offline ${qos}`, { qos });
    // the queued messages come right after CONNACK: listen before connecting
    const back = connect(broker.url, {
      clientId: 'interop-offline',
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(back);
    const got = collect(back);
    await expect.poll(() => got.map((m) => m.payload).sort(), { timeout: 5_000 }).toEqual(['offline 1', 'offline 2']);
    const both = await open('interop-overlap');
    const once = collect(both);
    await both.subscribeAsync({ 'TopicA/#': { qos: 2 }, 'TopicA/+': { qos: 1 } });
    await both.publishAsync('TopicA/C', 'overlap', { qos: 2 });
    // a second copy would come before the next message to the same client: wait for that one
    await both.publishAsync('TopicA/C', 'after', { qos: 2 });
    await expect.poll(() => once.some((m) => m.payload === 'after'), { timeout: 5_000 }).toBe(true);
    expect(once).toMatchObject([
      { payload: 'overlap', qos: 2 },
      { payload: 'after', qos: 2 },
    ]);
  });

  it('a will is published when a client vanishes; $-topics are not matched by wildcards', async () => {
    const watcher = await open('interop-will-watch');
    const got = collect(watcher);
    await watcher.subscribeAsync({ 'TopicA/C': { qos: 2 }, '#': { qos: 0 } });
    const doomed = await open('interop-will', {
      will: { topic: 'TopicA/C', payload: Buffer.from('client not disconnected'), qos: 2, retain: false },
    });
    await doomed.publishAsync('$SYS/fromClient', 'dollar', { qos: 1 });
    doomed.stream.destroy();
    await expect.poll(() => got.some((m) => m.payload === 'client not disconnected'), { timeout: 5_000 }).toBe(true);
    expect(got.some((m) => m.topic.startsWith('$'))).toBe(false);
  });

  it('BAD INPUT - subscribing to test/nosubscribe fails (SUBACK 0x80); +/+ is granted and never delivers it', async () => {
    const c = await open('interop-nosub');
    const got = collect(c);
    const granted = await c.subscribeAsync('test/nosubscribe', { qos: 2 }).catch((e: Error) => e);
    expect(granted instanceof Error ? granted.message : JSON.stringify(granted)).toMatch(/Subscribe error|128/);
    expect((await c.subscribeAsync('+/+', { qos: 1 }))[0]?.qos).toBe(1);
    const pub = await open('interop-nosub-pub');
    await pub.publishAsync('test/nosubscribe', 'must not arrive', { qos: 1 });
    await pub.publishAsync('test/other', 'arrives', { qos: 1 });
    // published after test/nosubscribe by the same client at the same QoS, so delivered after it, had it been
    await expect.poll(() => got.map((m) => m.topic), { timeout: 5_000 }).toContain('test/other');
    expect(got.map((m) => m.topic)).not.toContain('test/nosubscribe');
  });
});
