import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { buildTopic, encode, SeqTracker, type Channel, type MessageInput } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { freePort, waitFor, type ManagedProcess } from '@takt/runtime';
import { TelemetryStore } from '@takt/telemetry-store';
import {
  connectClient,
  spawnTakt,
  startInfluxd,
  startTestBroker,
  tempDir,
  type InfluxdServer,
  type TestBroker,
} from '@takt/testing';
import { writeFileSync } from 'node:fs';

const site = 'plant-t';
const line = 'line-1';
const T0 = Date.now() - 60_000;
const topic = (device: string, channel: Channel) => buildTopic({ site, line, device, channel });
const telemetry = (device: string, seq: number) =>
  encode('telemetry', {
    ...sampleMessage('telemetry', device, seq),
    ts: T0 + seq,
    values: { temperature: seq / 10, current: 1 },
  });
const range = { from: T0 - 86_400_000, to: Date.now() + 86_400_000 };

let influx: InfluxdServer;
let broker: TestBroker;
let store: TelemetryStore;
let ingestor: ManagedProcess;
let publisher: MqttClient;
let metricsUrl: string;
const dir = tempDir('takt-ingest-test-');
const deadLetterFile = join(dir.path, 'dead.jsonl');

async function publishAll(device: string, from: number, to: number): Promise<void> {
  const all: Promise<unknown>[] = [];
  for (let seq = from; seq < to; seq++)
    all.push(publisher.publishAsync(topic(device, 'telemetry'), telemetry(device, seq), { qos: 1 }));
  await Promise.all(all);
}

async function landed(device: string, expected: number, timeoutMs = 20_000): Promise<number[]> {
  let seqs: number[] = [];
  await waitFor(
    `${expected} points of ${device}`,
    async () => (seqs = await store.querySeqs({ device, channel: 'telemetry', ...range })).length >= expected,
    timeoutMs,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; got ${seqs.length}`);
  });
  return seqs;
}

function exactlyOnce(seqs: number[], n: number): void {
  const tracker = new SeqTracker();
  for (const s of seqs) tracker.add(s);
  expect(tracker.report()).toEqual({ received: n, duplicates: 0, gaps: [], min: 0, max: n - 1 });
}

const metric = async (name: string) => {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
};

beforeAll(async () => {
  // validation off at the broker, so malformed payloads reach the ingestor, which must refuse them itself
  [influx, broker] = await Promise.all([
    startInfluxd(),
    startTestBroker({ config: { validation: { enabled: false } } }),
  ]);
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  const configFile = join(dir.path, 'ingest.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      broker: {
        url: broker.url,
        username: 'service',
        password: 'service-secret',
        clientId: 'service-ingest-test',
        reconnectMs: 200,
      },
      influx: { url: influx.url, database: 'takt_ingest', timeoutMs: 2_000 },
      batch: { maxPoints: 500, maxAgeMs: 50, concurrency: 2 },
      buffer: { memoryPoints: 1_000, spoolDir: join(dir.path, 'spool'), retryMinMs: 50, retryMaxMs: 500 },
      deadLetterFile,
      metrics: { host: '127.0.0.1', port },
    }),
  );
  ingestor = spawnTakt('apps/ingestor', ['--config', configFile], {
    logFile: join(dir.path, 'ingest.log'),
    ready: async () => (await fetch(`${metricsUrl}/healthz`)).ok,
  });
  await ingestor.start();
  store = await TelemetryStore.connect({ url: influx.url, database: 'takt_ingest' });
  publisher = await connectClient(broker.url, {
    username: 'service',
    password: 'service-secret',
    clientId: 'service-ingest-test-pub',
  });
}, 60_000);

afterAll(async () => {
  await publisher?.endAsync();
  await ingestor?.close();
  await store?.close();
  await Promise.all([broker?.close(), influx?.close()]);
  dir.remove();
});

describe('takt-ingest', () => {
  it('lands every channel with the right tags and fields', async () => {
    const device = 'tags-01';
    const channels = ['telemetry', 'features', 'anomaly', 'inspection', 'state', 'heartbeat', 'label'] as const;
    for (const c of channels) {
      const m = { ...sampleMessage(c, device, 3), ts: T0 } as MessageInput<typeof c>;
      await publisher.publishAsync(topic(device, c), encode(c, m), { qos: 1 });
    }
    await waitFor(
      'all channels',
      async () =>
        (await Promise.all(channels.map((c) => store.querySeqs({ device, channel: c, ...range })))).every(
          (s) => s.length === 1,
        ),
      10_000,
    );
    expect(await store.querySeries({ device, measurement: 'telemetry', ...range })).toEqual([
      { ts: T0, values: { temperature: 41.5, current: 12.1 } },
    ]);
    const [features] = await store.queryFeatures({ device, ...range });
    expect(features).toMatchObject({
      deviceId: device,
      site,
      line,
      seq: 3,
      features: { 'vibration.rms': 0.3 },
      score: 0.4,
      model: { name: 'pump-anomaly', version: 3 },
    });
    expect((await store.queryLatestStates()).find((s) => s.deviceId === device)).toMatchObject({
      site,
      line,
      status: 'online',
      models: [{ name: 'pump-anomaly' }],
    });
  });

  it('lands every interval of batched telemetry (earlier rows) as its own point', async () => {
    const device = 'rows-01';
    for (let k = 0; k < 5; k++) {
      const ts = T0 + (k + 1) * 10_000;
      const earlier = Array.from({ length: 9 }, (_, i) => ({
        ts: ts - (9 - i) * 1000,
        values: { temperature: k * 10 + i },
      }));
      await publisher.publishAsync(
        topic(device, 'telemetry'),
        encode('telemetry', {
          ...sampleMessage('telemetry', device, k),
          ts,
          values: { temperature: k * 10 + 9 },
          earlier,
        }),
        { qos: 1 },
      );
    }
    const seqs = await landed(device, 50);
    expect(seqs).toEqual([0, 1, 2, 3, 4].flatMap((k) => Array<number>(10).fill(k)));
    const series = await store.querySeries({ device, measurement: 'telemetry', fields: ['temperature'], ...range });
    expect(series.map((p) => p.values['temperature'])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(series[0]?.ts).toBe(T0 + 1000);
  });

  it('BAD INPUT - invalid messages reach the dead-letter file with the reason, and nothing else stops', async () => {
    const device = 'dlq-01';
    const old = encode('telemetry', { ...sampleMessage('telemetry', device, 900), ts: Date.now() - 30 * 86_400_000 });
    const bad: [string, Buffer | string, string][] = [
      [topic(device, 'telemetry'), '{not json', 'INVALID_JSON'],
      [topic(device, 'telemetry'), telemetry('other-01', 901), 'DEVICE_MISMATCH'],
      [
        topic(device, 'telemetry'),
        JSON.stringify({ ...sampleMessage('telemetry', device, 902), extra: 1 }),
        'UNKNOWN_FIELD',
      ],
      [
        topic(device, 'telemetry'),
        encode('telemetry', { ...sampleMessage('telemetry', device, 903), ts: T0, values: { seq: 1 } }),
        'INVALID_POINT',
      ],
      [topic(device, 'telemetry'), old, 'BAD_REQUEST'],
    ];
    const before = await metric('takt_ingest_dead_letters_total');
    await publishAll(device, 0, 20);
    for (const [t, payload] of bad) await publisher.publishAsync(t, payload, { qos: 1 });
    await publishAll(device, 20, 40);
    exactlyOnce(await landed(device, 40), 40);
    await waitFor(
      'dead letters',
      async () => (await metric('takt_ingest_dead_letters_total')) - before >= bad.length,
      10_000,
    );
    const entries = readFileSync(deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; topic?: string; point?: string });
    expect(entries.map((e) => e.reason).sort()).toEqual(bad.map((b) => b[2]).sort());
    expect(entries.find((e) => e.reason === 'INVALID_JSON')).toMatchObject({ topic: topic(device, 'telemetry') });
    expect(entries.find((e) => e.reason === 'BAD_REQUEST')?.point).toContain('seq=900i');
  });

  it('restarting influxd mid-stream: every message lands exactly once (memory buffer, then disk spool)', async () => {
    const device = 'outage-01';
    const n = 4_000;
    const spooledBefore = await metric('takt_ingest_points_spooled_total');
    await publishAll(device, 0, 1_000);
    await influx.stop();
    await publishAll(device, 1_000, 3_000);
    await waitFor(
      'buffer past memory into the spool',
      async () => (await metric('takt_ingest_points_spooled_total')) > spooledBefore,
      10_000,
    );
    await influx.start();
    await publishAll(device, 3_000, n);
    exactlyOnce(await landed(device, n), n);
    expect(await metric('takt_ingest_write_failures_total')).toBeGreaterThan(0);
    await waitFor('spool drained', async () => (await metric('takt_ingest_spool_points')) === 0, 10_000);
  });

  it('SIGKILL of the ingestor mid-stream, then restart: nothing lost', async () => {
    const device = 'crash-01';
    const n = 3_000;
    const sending = publishAll(device, 0, 2_000);
    await waitFor(
      'some points written',
      async () => (await store.querySeqs({ device, channel: 'telemetry', ...range })).length > 200,
      10_000,
      20,
    );
    await ingestor.kill();
    await sending;
    await publishAll(device, 2_000, n);
    expect((await store.querySeqs({ device, channel: 'telemetry', ...range })).length).toBeLessThan(n);
    await ingestor.start();
    exactlyOnce(await landed(device, n), n);
    expect(existsSync(deadLetterFile)).toBe(true);
  });
});
