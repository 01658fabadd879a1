import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { PNG } from 'pngjs';
import { buildTopic, encode, type MessageInput } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { DiskBlobStore, encodeGrayPng } from '@takt/evidence-store';
import { createLogger, waitFor } from '@takt/runtime';
import { TelemetryStore } from '@takt/telemetry-store';
import {
  connectClient,
  startInfluxd,
  startTestBroker,
  tempDir,
  type InfluxdServer,
  type TestBroker,
} from '@takt/testing';
import { ingestorConfigSchema } from './config.js';
import { Ingestor } from './ingestor.js';

const T0 = Date.now() - 60_000;
const range = { from: T0 - 86_400_000, to: Date.now() + 86_400_000 };
const line = 'line-1';
const dir = tempDir('takt-ingest-evidence-');
const blobDir = join(dir.path, 'blobs');
const deadA = join(dir.path, 'dead-a.jsonl');
const deadB = join(dir.path, 'dead-b.jsonl');

let influx: InfluxdServer;
let broker: TestBroker;
let store: TelemetryStore;
let withEvidence: Ingestor;
let without: Ingestor;
let publisher: MqttClient;

const logger = createLogger('ingest-evidence-test', { level: 'silent' });
function start(
  site: string,
  clientId: string,
  deadLetterFile: string,
  evidence?: { dir: string; attempts: number },
): Promise<Ingestor> {
  return Ingestor.start(
    ingestorConfigSchema.parse({
      broker: {
        url: broker.url,
        username: 'service',
        password: 'service-secret',
        clientId,
        reconnectMs: 200,
        filters: [`takt/v1/${site}/+/+/+`],
      },
      influx: { url: influx.url, database: 'takt_ev', timeoutMs: 2_000 },
      batch: { maxPoints: 100, maxAgeMs: 30, concurrency: 2 },
      buffer: { spoolDir: join(dir.path, `spool-${clientId}`), retryMinMs: 50, retryMaxMs: 200 },
      deadLetterFile,
      metrics: { host: '127.0.0.1', port: 0 },
      ...(evidence ? { evidence } : {}),
    }),
    logger,
  );
}

const frame = (
  device: string,
  evidenceId: string,
  seq: number,
  f: Partial<NonNullable<MessageInput<'evidence'>['frame']>> = {},
) =>
  encode('evidence', {
    ...sampleMessage('evidence', device, seq),
    ts: T0 + seq,
    evidenceId,
    truth: 'crack',
    frame: {
      frameId: `fr-${seq}`,
      width: 3,
      height: 2,
      encoding: 'gray8',
      data: Buffer.from([0, 50, 100, 150, 200, 250]).toString('base64'),
      ...f,
    },
  });
const publish = (site: string, device: string, channel: 'evidence' | 'telemetry' | 'truth', payload: Buffer) =>
  publisher.publishAsync(buildTopic({ site, line, device, channel }), payload, { qos: 1 });
const deadLetters = (file: string): { reason: string; topic: string; message: string }[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { reason: string; topic: string; message: string })
    : [];

beforeAll(async () => {
  [influx, broker] = await Promise.all([startInfluxd(), startTestBroker()]);
  [withEvidence, without] = await Promise.all([
    start('plant-e', 'service-ev-a', deadA, { dir: blobDir, attempts: 20 }),
    start('plant-n', 'service-ev-b', deadB),
  ]);
  await Promise.all([withEvidence.ready(), without.ready()]);
  store = await TelemetryStore.connect({ url: influx.url, database: 'takt_ev' });
  publisher = await connectClient(broker.url, {
    username: 'service',
    password: 'service-secret',
    clientId: 'service-ev-pub',
  });
}, 60_000);

afterAll(async () => {
  await publisher?.endAsync();
  await Promise.all([withEvidence?.stop(), without?.stop()]);
  await store?.close();
  await Promise.all([broker?.close(), influx?.close()]);
  dir.remove();
});

describe('ingestor: evidence and truth', () => {
  it('stores a gray8 frame as a PNG blob, then its evidence point with the blob address', async () => {
    await publish('plant-e', 'cam-1', 'evidence', frame('cam-1', 'ev-a1', 1));
    await waitFor(
      'evidence point',
      async () => (await store.queryEvidence({ ...range, devices: ['cam-1'] })).length === 1,
      10_000,
      50,
    );
    const [r] = await store.queryEvidence({ ...range, devices: ['cam-1'] });
    expect(r).toMatchObject({
      evidenceId: 'ev-a1',
      deviceId: 'cam-1',
      site: 'plant-e',
      line,
      kind: 'frame',
      reason: 'uncertain',
      truth: 'crack',
      frame: { frameId: 'fr-1', width: 3, height: 2 },
      prediction: { label: 'scratch' },
    });
    const png = await new DiskBlobStore({ dir: blobDir }).get(r?.sha256 as string);
    expect(
      Buffer.from(png as Uint8Array).equals(encodeGrayPng(3, 2, Uint8Array.from([0, 50, 100, 150, 200, 250]))),
    ).toBe(true);
    expect(PNG.sync.read(Buffer.from(png as Uint8Array)).width).toBe(3);
    expect(r?.bytes).toBe(png?.byteLength);
  });

  it('stores a raw window as JSON {t0, sensors}; the truth channel lands as fault_truth', async () => {
    const sensors = { vibration: { rate: 100, unit: 'g', values: [0.1, 0.2, 0.3, 0.4] } };
    const { frame: _f, prediction: _p, ...base } = sampleMessage('evidence', 'press-1', 2);
    await publish(
      'plant-e',
      'press-1',
      'evidence',
      encode('evidence', {
        ...base,
        ts: T0 + 2,
        evidenceId: 'ev-w1',
        kind: 'window',
        reason: 'healthy',
        window: { t0: T0 - 40, sensors },
      }),
    );
    await publish(
      'plant-e',
      'press-1',
      'truth',
      encode('truth', { ...sampleMessage('truth', 'press-1', 1), ts: T0 - 1000 }),
    );
    await waitFor(
      'window and truth',
      async () =>
        (await store.queryEvidence({ ...range, devices: ['press-1'] })).length === 1 &&
        (await store.queryTruth({ ...range, devices: ['press-1'] })).length === 1,
      10_000,
      50,
    );
    const [w] = await store.queryEvidence({ ...range, devices: ['press-1'] });
    expect(w).toMatchObject({
      kind: 'window',
      reason: 'healthy',
      window: { t0: T0 - 40, durationMs: 40, sensors: ['vibration'] },
      truth: 'bearing-wear',
    });
    expect(
      JSON.parse(
        Buffer.from((await new DiskBlobStore({ dir: blobDir }).get(w?.sha256 as string)) as Uint8Array).toString(
          'utf8',
        ),
      ),
    ).toEqual({ t0: T0 - 40, sensors });
    expect(await store.queryTruth({ ...range, devices: ['press-1'] })).toEqual([
      { deviceId: 'press-1', fault: 'bearing-wear', faultId: 'fault-1', start: T0 - 1000 },
    ]);
  });

  it('BAD INPUT - a png frame that does not decode is dead-lettered as BAD_IMAGE; nothing else is lost', async () => {
    const bad = frame('cam-2', 'ev-bad', 3, {
      encoding: 'png',
      data: Buffer.from('not a png at all').toString('base64'),
    });
    const good = encodeGrayPng(3, 2, Uint8Array.from([9, 9, 9, 9, 9, 9])).toString('base64');
    await publish('plant-e', 'cam-2', 'evidence', bad);
    await publish('plant-e', 'cam-2', 'evidence', frame('cam-2', 'ev-ok', 4, { encoding: 'png', data: good }));
    await waitFor('dead letter', async () => deadLetters(deadA).some((d) => d.reason === 'BAD_IMAGE'), 10_000, 50);
    await waitFor(
      'the good one',
      async () => (await store.queryEvidence({ ...range, devices: ['cam-2'] })).length === 1,
      10_000,
      50,
    );
    expect(deadLetters(deadA).find((d) => d.reason === 'BAD_IMAGE')).toMatchObject({
      topic: 'takt/v1/plant-e/line-1/cam-2/evidence',
      message: expect.stringContaining('signature'),
    });
    expect((await store.queryEvidence({ ...range, devices: ['cam-2'] }))[0]?.evidenceId).toBe('ev-ok');
  });

  it('a blob write that fails is retried without holding up telemetry, and stored once the disk recovers', async () => {
    rmSync(blobDir, { recursive: true, force: true });
    mkdirSync(blobDir, { recursive: true });
    writeFileSync(join(blobDir, 'sha256'), 'a file where the blob folder should be'); // every put fails: ENOTDIR / EEXIST
    const failuresBefore = withEvidence.metrics.evidenceBlobFailures;
    await publish('plant-e', 'cam-3', 'evidence', frame('cam-3', 'ev-late', 5));
    await waitFor(
      'a failed blob write',
      async () => withEvidence.metrics.evidenceBlobFailures > failuresBefore,
      5_000,
      20,
    );
    // telemetry published after the stuck evidence lands while the blob is still retried
    await publish(
      'plant-e',
      'press-9',
      'telemetry',
      encode('telemetry', { ...sampleMessage('telemetry', 'press-9', 0), ts: T0 }),
    );
    await waitFor(
      'telemetry',
      async () => (await store.querySeqs({ device: 'press-9', channel: 'telemetry', ...range })).length === 1,
      5_000,
      50,
    );
    expect(await store.queryEvidence({ ...range, devices: ['cam-3'] })).toEqual([]);
    rmSync(join(blobDir, 'sha256'));
    await waitFor(
      'the evidence after recovery',
      async () => (await store.queryEvidence({ ...range, devices: ['cam-3'] })).length === 1,
      10_000,
      50,
    );
    expect(deadLetters(deadA).filter((d) => d.reason === 'BLOB_WRITE_FAILED')).toEqual([]);
  });

  it('a blob that cannot be written after every attempt is dead-lettered as BLOB_WRITE_FAILED, not dropped', async () => {
    rmSync(blobDir, { recursive: true, force: true });
    writeFileSync(blobDir, 'the blob folder is a file now');
    await publish('plant-e', 'cam-4', 'evidence', frame('cam-4', 'ev-lost', 6));
    await waitFor(
      'dead letter',
      async () => deadLetters(deadA).some((d) => d.reason === 'BLOB_WRITE_FAILED'),
      15_000,
      100,
    );
    expect(deadLetters(deadA).find((d) => d.reason === 'BLOB_WRITE_FAILED')?.message).toMatch(
      /ev-lost: blob not stored after 20 attempts/,
    );
    rmSync(blobDir);
  });

  it('an ingestor without evidence.dir dead-letters evidence as EVIDENCE_NOT_CONFIGURED and stores the rest', async () => {
    await publish('plant-n', 'cam-9', 'evidence', frame('cam-9', 'ev-n1', 7));
    await publish('plant-n', 'cam-9', 'truth', encode('truth', { ...sampleMessage('truth', 'cam-9', 1), ts: T0 }));
    await waitFor(
      'dead letter',
      async () => deadLetters(deadB).some((d) => d.reason === 'EVIDENCE_NOT_CONFIGURED'),
      10_000,
      50,
    );
    await waitFor(
      'truth',
      async () => (await store.queryTruth({ ...range, devices: ['cam-9'] })).length === 1,
      10_000,
      50,
    );
    expect(await store.queryEvidence({ ...range, devices: ['cam-9'] })).toEqual([]);
    expect(without.metrics.deadLetters.get('EVIDENCE_NOT_CONFIGURED')).toBe(1);
  });
});
