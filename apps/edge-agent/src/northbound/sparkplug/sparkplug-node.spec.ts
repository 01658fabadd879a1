import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import sparkplug from 'sparkplug-payload';
import { createLogger } from '@takt/runtime';
import { connectClient, startMosquitto, tempDir, type MosquittoServer } from '@takt/testing';
import { MemoryOutbox } from '../../outbox/memory-outbox.js';
import { UpstreamEmitter } from '../../upstream/emitter.js';
import { sparkplugSchema } from './sparkplug-config.js';
import { REBIRTH, SparkplugNode } from './sparkplug-node.js';

const codec = sparkplug.get('spBv1.0')!;
type Decoded = { topic: string; type: string; device?: string; seq?: number; metrics: Record<string, unknown> };

/** The SCADA side: a plain MQTT client decoding every Sparkplug message with sparkplug-payload (Tahu). */
class Host {
  seen: Decoded[] = [];
  #waits: (() => void)[] = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      const [, group, type = '', , device] = topic.split('/');
      if (group === 'STATE') return;
      const p = codec.decodePayload(payload);
      const metrics = Object.fromEntries(
        (p.metrics ?? []).map((m) => [
          m.name,
          typeof m.value === 'object' && m.value !== null && 'toNumber' in m.value
            ? (m.value as { toNumber(): number }).toNumber()
            : m.value,
        ]),
      );
      const seq = p.seq === undefined || p.seq === null ? undefined : Number(p.seq);
      this.seen.push({ topic, type, ...(device ? { device } : {}), ...(seq === undefined ? {} : { seq }), metrics });
      for (const w of [...this.#waits]) w();
    });
  }
  until(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () =>
        pred() && (clearTimeout(t), (this.#waits = this.#waits.filter((w) => w !== check)), resolve());
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      this.#waits.push(check);
    });
  }
  of(type: string): Decoded[] {
    return this.seen.filter((m) => m.type === type);
  }
}

describe('Sparkplug B northbound, decoded by a host with sparkplug-payload', () => {
  let broker: MosquittoServer;
  let host: Host;
  let node: SparkplugNode;
  const outbox = new MemoryOutbox();
  const emitter = new UpstreamEmitter(outbox);
  const dir = tempDir('takt-sparkplug-');
  const pump = { site: 'plant-a', line: 'line-1', device: 'pump-1' };
  const config = () =>
    sparkplugSchema.parse({
      url: broker.url,
      groupId: 'plant-a',
      edgeNodeId: 'edge-line-1',
      primaryHostId: 'scada-1',
      reconnectMs: 100,
    });

  beforeAll(async () => {
    broker = await startMosquitto();
    host = new Host(await connectClient(broker.url, { clientId: 'scada-1' }));
    await host.client.subscribeAsync('spBv1.0/#', { qos: 1 });
    node = await SparkplugNode.start(config(), outbox, createLogger('sparkplug-test'), dir.path);
  }, 30_000);

  afterAll(async () => {
    host?.client.end(true);
    await broker?.close();
    dir.remove();
  });

  it('waits for the primary host, then NBIRTH (seq 0, bdSeq, rebirth control), then DBIRTH and DDATA in seq order', async () => {
    await emitter.emit(pump, 'telemetry', { values: { temperature: 41.5, current: 12 } });
    expect(host.of('NBIRTH')).toEqual([]); // the host is not online yet
    await host.client.publishAsync('spBv1.0/STATE/scada-1', JSON.stringify({ online: true, timestamp: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await host.until('NBIRTH and DBIRTH', () => host.of('DBIRTH').length > 0);
    const [nbirth] = host.of('NBIRTH');
    expect(nbirth).toMatchObject({
      topic: 'spBv1.0/plant-a/NBIRTH/edge-line-1',
      seq: 0,
      metrics: { bdSeq: 0, [REBIRTH]: false },
    });
    expect(host.of('DBIRTH')[0]).toMatchObject({
      topic: 'spBv1.0/plant-a/DBIRTH/edge-line-1/pump-1',
      seq: 1,
      metrics: { 'telemetry/temperature': 41.5, 'telemetry/current': 12 },
    });
    await emitter.emit(pump, 'telemetry', { values: { temperature: 42, current: 12.5 } });
    await emitter.emit(pump, 'telemetry', { values: { temperature: 43, current: 13 } });
    await host.until('two DDATA', () => host.of('DDATA').length >= 2);
    expect(host.of('DDATA').map((m) => [m.seq, m.metrics['telemetry/temperature']])).toEqual([
      [2, 42],
      [3, 43],
    ]);
  });

  it('a new metric (an anomaly event) is born before it is reported; events carry open, score and threshold', async () => {
    await emitter.emit(pump, 'anomaly', {
      eventId: 'ev-1',
      state: 'open',
      model: { name: 'plant-anomaly', version: 3 },
      score: 7.5,
      threshold: 3,
      openedAt: Date.now(),
    });
    await host.until('DBIRTH with anomaly metrics', () => host.of('DBIRTH').some((m) => 'anomaly/open' in m.metrics));
    const birth = host.of('DBIRTH').at(-1)!;
    expect(birth.metrics).toMatchObject({
      'anomaly/open': true,
      'anomaly/score': 7.5,
      'anomaly/threshold': 3,
      'anomaly/model': 'plant-anomaly@3',
      'telemetry/temperature': 43,
    });
    expect(birth.seq).toBe(4);
  });

  it('rebirth on request: NBIRTH from seq 0 with the same bdSeq, then the devices again', async () => {
    const n = host.seen.length;
    await host.client.publishAsync(
      'spBv1.0/plant-a/NCMD/edge-line-1',
      Buffer.from(
        codec.encodePayload({ timestamp: Date.now(), metrics: [{ name: REBIRTH, type: 'Boolean', value: true }] }),
      ),
      { qos: 1 },
    );
    await host.until('rebirth', () => host.seen.slice(n).some((m) => m.type === 'DBIRTH'));
    const again = host.seen.slice(n).filter((m) => m.type !== 'NCMD');
    expect(again.map((m) => [m.type, m.seq])).toEqual([
      ['NBIRTH', 0],
      ['DBIRTH', 1],
    ]);
    expect(again[0]!.metrics['bdSeq']).toBe(0);
  });

  it('a node that loses its broker starts a new session: born again with bdSeq + 1', async () => {
    const n = host.seen.length;
    await broker.process.restart();
    await host.client.reconnect();
    await new Promise((r) => host.client.once('connect', r));
    await host.client.subscribeAsync('spBv1.0/#', { qos: 1 });
    await host.client.publishAsync('spBv1.0/STATE/scada-1', JSON.stringify({ online: true, timestamp: Date.now() }), {
      qos: 1,
      retain: true,
    });
    // the node may have been born again before the host subscribed: ask for rebirth until it answers
    const rebirth = () =>
      host.client.publishAsync(
        'spBv1.0/plant-a/NCMD/edge-line-1',
        Buffer.from(
          codec.encodePayload({ timestamp: Date.now(), metrics: [{ name: REBIRTH, type: 'Boolean', value: true }] }),
        ),
        { qos: 1 },
      );
    const asking = setInterval(() => void rebirth(), 300);
    await host
      .until('node reborn', () => host.seen.slice(n).some((m) => m.type === 'NBIRTH'), 20_000)
      .finally(() => clearInterval(asking));
    expect(host.seen.slice(n).find((m) => m.type === 'NBIRTH')!.metrics['bdSeq']).toBe(1);
  }, 40_000);

  it('a clean stop sends DDEATH per device and NDEATH with the bdSeq of the birth', async () => {
    const n = host.seen.length;
    await node.stop();
    await host.until('NDEATH', () => host.seen.slice(n).some((m) => m.type === 'NDEATH'));
    // (a rebirth the previous test asked for may still be answered first: only the deaths are checked here)
    const last = host.seen.slice(n).filter((m) => m.type === 'DDEATH' || m.type === 'NDEATH');
    expect(last.map((m) => m.type)).toEqual(['DDEATH', 'NDEATH']);
    expect(last[1]!.metrics['bdSeq']).toBe(1);
  });
});
