import { buildTopic, encode, type Channel } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMemoryBroker, type MemoryBroker, type MemoryUser, type RawClient } from './in-memory.test.js';

// One edge box's credentials must not own the plant (issue: per-box identity, least privilege).
const EDGE_A: MemoryUser = {
  username: 'edge-a',
  password: 'edge-a-secret',
  role: 'edge',
  devices: ['site-a/line-1/+'],
};
const EDGE_B: MemoryUser = {
  username: 'edge-b',
  password: 'edge-b-secret',
  role: 'edge',
  devices: ['site-a/line-2/+'],
};
const INGESTOR: MemoryUser = { username: 'ingestor', password: 'ingestor-secret', role: 'ingestor' };
const TRAINER: MemoryUser = { username: 'trainer', password: 'trainer-secret', role: 'trainer' };

const topic = (line: string, device: string, channel: Channel) => buildTopic({ site: 'site-a', line, device, channel });
const message = (channel: Channel, device: string, seq = 1) => encode(channel, sampleMessage(channel, device, seq));

let mid = 1;
async function subscribe(c: RawClient, ...filters: string[]): Promise<number[]> {
  const messageId = mid++;
  c.send({ cmd: 'subscribe', messageId, subscriptions: filters.map((f) => ({ topic: f, qos: 1 as const })) });
  return ((await c.next()) as Packet & { granted: number[] }).granted;
}
async function publish(c: RawClient, t: string, payload: Buffer, retain = false): Promise<void> {
  const messageId = mid++;
  c.send({ cmd: 'publish', topic: t, payload, qos: 1, messageId, retain, dup: false });
  expect(await c.nextAck('puback', messageId)).toMatchObject({ cmd: 'puback', messageId });
}

describe('identity and least privilege (in-memory broker, default roles)', () => {
  let mem: MemoryBroker;
  let ingestor: RawClient;
  const rejections = (reason: string) => mem.broker.metrics.count(mem.broker.metrics.rejections, reason);
  beforeAll(async () => {
    mem = await startMemoryBroker({
      users: [EDGE_A, EDGE_B, INGESTOR, TRAINER],
      config: { quotas: { retainedTopics: 2, subscriptions: 3 } },
    });
    ingestor = await mem.login(INGESTOR, { clientId: 'ingestor-1', clean: false });
    expect(await subscribe(ingestor, 'takt/v1/#')).toEqual([1]);
  });
  afterAll(async () => {
    await mem?.close();
  });

  it('BAD INPUT - a client id not bound to its user gets CONNACK 2: one box cannot take the ingestor’s session', async () => {
    const thief = mem.open('10.9.9.9');
    expect(
      await thief.connect({
        clientId: 'ingestor-1',
        clean: false,
        username: EDGE_A.username,
        password: Buffer.from(EDGE_A.password),
      }),
    ).toMatchObject({ returnCode: 2 });
    await thief.closed;
    expect(rejections('client_id_not_bound')).toBe(1);
    // the ingestor's session is untouched: it still receives
    const box = await mem.login(EDGE_A, { clientId: 'edge-a-up' });
    await publish(box, topic('line-1', 'pump-1', 'heartbeat'), message('heartbeat', 'pump-1', 5));
    expect(((await ingestor.next()) as { topic?: string }).topic).toBe(topic('line-1', 'pump-1', 'heartbeat'));
    box.end();
    // bound ids: the user name itself, or the name and one of -_.:@ ; a zero-length id is assigned by the broker
    for (const clientId of ['edge-a', 'edge-a.1', 'edge-a:x', ''])
      expect(
        (await mem.open().connect({ clientId, username: EDGE_A.username, password: Buffer.from(EDGE_A.password) }))
          .returnCode,
        clientId,
      ).toBe(0);
    expect(
      (
        await mem
          .open()
          .connect({ clientId: 'edge-ab', username: EDGE_A.username, password: Buffer.from(EDGE_A.password) })
      ).returnCode,
    ).toBe(2);
  });

  it('BAD INPUT - an edge box publishes only its own devices’ upstream channels: no label, truth, model/desired, nor another box’s device', async () => {
    const box = await mem.login(EDGE_A, { clientId: 'edge-a-1' });
    const before = rejections('publish_denied');
    await publish(box, topic('line-1', 'pump-1', 'label'), message('label', 'pump-1'));
    await publish(box, topic('line-1', 'pump-1', 'truth'), message('truth', 'pump-1'));
    await publish(box, topic('line-2', 'pump-9', 'model/desired'), message('model/desired', 'pump-9'));
    await publish(box, topic('line-2', 'pump-9', 'telemetry'), message('telemetry', 'pump-9'));
    expect(rejections('publish_denied') - before).toBe(4);
    expect(await ingestor.silent(300)).toBe(true); // none of them was routed
    await publish(box, topic('line-1', 'pump-1', 'telemetry'), message('telemetry', 'pump-1', 7));
    expect(((await ingestor.next()) as { topic?: string }).topic).toBe(topic('line-1', 'pump-1', 'telemetry'));
    box.end();
  });

  it('BAD INPUT - an edge box sends evidence only for the devices it serves: evidence for another box’s device is refused and not routed', async () => {
    const box = await mem.login(EDGE_A, { clientId: 'edge-a-4' });
    const before = rejections('publish_denied');
    await publish(box, topic('line-2', 'cam-9', 'evidence'), message('evidence', 'cam-9'));
    expect(rejections('publish_denied') - before).toBe(1);
    expect(await ingestor.silent(300)).toBe(true);
    await publish(box, topic('line-1', 'cam-1', 'evidence'), message('evidence', 'cam-1', 3));
    expect(((await ingestor.next()) as { topic?: string }).topic).toBe(topic('line-1', 'cam-1', 'evidence'));
    box.end();
  });

  it('BAD INPUT - `takt/v1/#` is granted to an edge box but delivers only its own devices’ raw data and desired model', async () => {
    const box = await mem.login(EDGE_A, { clientId: 'edge-a-2' });
    expect(await subscribe(box, 'takt/v1/#')).toEqual([1]);
    const other = await mem.login(EDGE_B, { clientId: 'edge-b-1' });
    const before = rejections('forward_denied');
    await publish(other, topic('line-2', 'fan-1', 'telemetry'), message('telemetry', 'fan-1'));
    const trainer = await mem.login(TRAINER, { clientId: 'trainer-1' });
    await publish(trainer, topic('line-2', 'fan-1', 'model/desired'), message('model/desired', 'fan-1'));
    await publish(trainer, topic('line-1', 'pump-1', 'model/desired'), message('model/desired', 'pump-1'));
    const got = (await box.next()) as { topic?: string };
    expect(got.topic).toBe(topic('line-1', 'pump-1', 'model/desired'));
    expect(await box.silent(300)).toBe(true);
    expect(rejections('forward_denied') - before).toBe(2);
    for (const c of [box, other, trainer]) c.end();
  });

  it('BAD INPUT - retained messages only on retained channels, and within the per-connection quota; subscriptions within theirs', async () => {
    const box = await mem.login(EDGE_A, { clientId: 'edge-a-3' });
    await publish(box, topic('line-1', 'pump-1', 'telemetry'), message('telemetry', 'pump-1'), true);
    expect(rejections('retain_denied')).toBe(1);
    await publish(box, topic('line-1', 'pump-1', 'state'), message('state', 'pump-1'), true);
    await publish(box, topic('line-1', 'pump-2', 'state'), message('state', 'pump-2'), true);
    await publish(box, topic('line-1', 'pump-1', 'state'), message('state', 'pump-1', 2), true); // same topic again: no new quota
    await publish(box, topic('line-1', 'pump-3', 'state'), message('state', 'pump-3'), true);
    expect(rejections('retained_quota')).toBe(1);
    const granted = await subscribe(
      box,
      'takt/v1/site-a/line-1/+/raw',
      'takt/v1/site-a/line-1/+/camera',
      'takt/v1/site-a/line-1/+/model/desired',
      'takt/v1/site-a/line-1/pump-1/raw',
    );
    expect(granted).toEqual([1, 1, 1, 128]);
    expect(rejections('subscription_quota')).toBe(1);
    box.end();
  });
});

describe('limits before authentication (in-memory broker)', () => {
  it('BAD INPUT - a CONNECT over maxConnectPacketSize closes the connection; once authenticated, full-size packets pass', async () => {
    const mem = await startMemoryBroker({ users: [TRAINER], config: { maxConnectPacketSize: 4_096 } });
    try {
      const big = mem.open('10.7.7.7');
      big.send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'trainer-big',
        keepalive: 0,
        username: TRAINER.username,
        password: Buffer.from(TRAINER.password),
        will: { topic: 'x/y', payload: Buffer.alloc(8_000), qos: 0, retain: false },
      });
      await big.closed;
      expect(mem.broker.metrics.count(mem.broker.metrics.rejections, 'packet_too_large')).toBe(1);
      const ok = await mem.login(TRAINER, { clientId: 'trainer-ok' });
      await publish(ok, 'scratch/big', Buffer.alloc(8_000)); // acknowledged (dropped by the ACL, but read in full)
      ok.end();
    } finally {
      await mem.close();
    }
  });

  it('BAD INPUT - connections past maxConnections are closed as soon as they are accepted', async () => {
    const mem = await startMemoryBroker({ users: [TRAINER], config: { maxConnections: 2 } });
    try {
      const [a, b] = [
        await mem.login(TRAINER, { clientId: 'trainer-a' }),
        await mem.login(TRAINER, { clientId: 'trainer-b' }),
      ];
      const third = mem.open('10.8.8.8');
      await third.closed;
      expect(mem.broker.metrics.count(mem.broker.metrics.rejections, 'connection_cap')).toBe(1);
      a.end();
      b.end();
    } finally {
      await mem.close();
    }
  });
});
