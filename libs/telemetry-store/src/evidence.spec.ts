import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTopic,
  decodePublish,
  encode,
  type Channel,
  type DecodedPublish,
  type MessageInput,
} from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { startInfluxd, type InfluxdServer } from '@takt/testing';
import { evidenceInputOf, evidenceLine, InfluxHttp, TelemetryStore, toPoints, type EvidenceInput } from './index.js';

const addr = { site: 'plant-a', line: 'line-1' };
const T = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
const range = { from: T - 3_600_000, to: T + 3_600_000 };
const H = (c: string) => c.repeat(64);

function pub<C extends Channel>(channel: C, message: MessageInput<C>): DecodedPublish {
  return decodePublish(buildTopic({ ...addr, device: message.deviceId, channel }), encode(channel, message));
}
const frameEvidence = (
  device: string,
  id: string,
  ts: number,
  frameId: string,
  extra: Partial<MessageInput<'evidence'>> = {},
) =>
  pub('evidence', {
    ...sampleMessage('evidence', device, ts - T),
    ts,
    evidenceId: id,
    frame: { ...(sampleMessage('evidence').frame as NonNullable<MessageInput<'evidence'>['frame']>), frameId },
    ...extra,
  } as MessageInput<'evidence'>);
const windowEvidence = (device: string, id: string, ts: number, t0: number, eventId?: string) =>
  pub('evidence', {
    ...sampleMessage('evidence', device, ts - T),
    ts,
    evidenceId: id,
    kind: 'window',
    reason: eventId ? 'anomaly' : 'healthy',
    frame: undefined,
    window: {
      t0,
      sensors: {
        vibration: { rate: 100, values: Array(200).fill(0.1) },
        temperature: { rate: 10, values: Array(20).fill(40) },
      },
      ...(eventId ? { eventId, onset: t0 + 1000 } : {}),
    },
    prediction: undefined,
    model: undefined,
  } as MessageInput<'evidence'>);
const label = (
  device: string,
  labelId: string,
  ts: number,
  target: 'evidence' | 'inspection' | 'anomaly',
  refId: string,
  value: string,
  by = 'eve',
) => pub('label', { ...sampleMessage('label', device, ts - T), ts, labelId, target, refId, label: value, by });
const truth = (
  device: string,
  faultId: string,
  fault: 'bearing-wear' | 'imbalance',
  state: 'start' | 'end',
  ts: number,
) => pub('truth', { ...sampleMessage('truth', device, ts - T), ts, faultId, fault, state });
const upload = (id: string, ts: number, value: string, set = 'tiles'): EvidenceInput => ({
  evidenceId: id,
  deviceId: set,
  ts,
  kind: 'frame',
  reason: 'upload',
  sha256: H('c'),
  bytes: 300,
  frame: { frameId: id, width: 8, height: 8 },
  upload: { label: value, by: 'upload', file: `${id}.png` },
});

let influx: InfluxdServer;
let store: TelemetryStore;

beforeAll(async () => {
  influx = await startInfluxd();
  store = await TelemetryStore.connect({ url: influx.url, database: 'takt_evidence' });
  await store.writeLines([
    ...[
      frameEvidence('cam-1', 'ev-f1', T + 1000, 'fr-1'),
      frameEvidence('cam-1', 'ev-f2', T + 2000, 'fr-2', { truth: 'crack' }),
      frameEvidence('cam-2', 'ev-f3', T + 3000, 'fr-1'),
      windowEvidence('press-01', 'ev-w1', T + 4000, T + 2000, 'evt-7'),
      windowEvidence('press-01', 'ev-w2', T + 60_000, T + 58_000),
      windowEvidence('press-02', 'ev-w3', T + 5000, T + 3000),
    ].map((p, i) => evidenceLine(evidenceInputOf(p, { sha256: H('abcdef'[i] as string), bytes: 100 + i }))), // blobs made up
    ...[
      label('cam-1', 'l-1', T + 10_000, 'inspection', 'fr-1', 'scratch'),
      label('cam-1', 'l-2', T + 20_000, 'evidence', 'ev-f1', 'good', 'bob'),
      label('cam-2', 'l-3', T + 5_000, 'inspection', 'fr-9', 'crack'),
      label('press-01', 'l-4', T + 30_000, 'anomaly', 'evt-7', 'imbalance'),
      truth('press-01', 'flt-1', 'bearing-wear', 'start', T + 1000),
      truth('press-01', 'flt-1', 'bearing-wear', 'end', T + 20_000),
      truth('press-01', 'flt-2', 'imbalance', 'start', T + 100_000),
    ].flatMap(toPoints),
  ]);
  await store.writeEvidence([
    upload('up-1', T + 6000, 'crack'),
    upload('up-2', T + 7000, 'good'),
    { ...upload('up-1', T + 8000, 'crack') },
  ]);
}, 60_000);
afterAll(async () => {
  await store?.close();
  await influx?.close();
});

describe('evidence measurement', () => {
  it('lists evidence newest first with its blob address, metadata and the label that applies', async () => {
    const all = await store.queryEvidence(range);
    expect(all.map((r) => r.evidenceId)).toEqual([
      'ev-w2',
      'up-1',
      'up-2',
      'ev-w3',
      'ev-w1',
      'ev-f3',
      'ev-f2',
      'ev-f1',
    ]);
    const byId = Object.fromEntries(all.map((r) => [r.evidenceId, r]));
    expect(byId['ev-f1']).toEqual({
      evidenceId: 'ev-f1',
      deviceId: 'cam-1',
      site: 'plant-a',
      line: 'line-1',
      ts: T + 1000,
      kind: 'frame',
      reason: 'uncertain',
      sha256: H('a'),
      bytes: 100,
      frame: { frameId: 'fr-1', width: 2, height: 2 },
      model: { name: 'vision', version: 2 },
      prediction: { label: 'scratch', confidence: 0.41 },
      // the evidence label (newer) beats the inspection label on its frame
      label: { label: 'good', by: 'bob', at: T + 20_000, source: 'engineer' },
    });
    expect(byId['ev-f2']).toMatchObject({ truth: 'crack' });
    expect(byId['ev-f2']?.label).toBeUndefined();
    // an inspection label names a frame of one device: cam-2's fr-1 is not labelled by cam-1's label
    expect(byId['ev-f3']?.label).toBeUndefined();
    expect(byId['ev-w1']).toMatchObject({
      kind: 'window',
      reason: 'anomaly',
      window: {
        t0: T + 2000,
        durationMs: 2000,
        sensors: ['vibration', 'temperature'],
        eventId: 'evt-7',
        onset: T + 3000,
      },
      label: { label: 'imbalance', source: 'engineer', at: T + 30_000 },
      truth: 'bearing-wear',
    });
    expect(byId['ev-w2']?.truth).toBe('normal'); // simulated device, no fault over [T+58 s, T+60 s)
    expect(byId['ev-w3']?.truth).toBeUndefined(); // press-02 has no simulator truth at all
    // an upload carries its own label; the image uploaded twice is listed once (newest)
    expect(byId['up-1']).toMatchObject({
      deviceId: 'tiles',
      reason: 'upload',
      ts: T + 8000,
      file: 'up-1.png',
      label: { label: 'crack', by: 'upload', source: 'upload', at: T + 8000 },
    });
    expect(byId['up-1']?.site).toBeUndefined();
  });

  it('filters by kind, devices, labelled, and honours limit after the filter', async () => {
    expect((await store.queryEvidence({ ...range, kind: 'window' })).map((r) => r.evidenceId)).toEqual([
      'ev-w2',
      'ev-w3',
      'ev-w1',
    ]);
    expect((await store.queryEvidence({ ...range, devices: ['cam-1', 'cam-2'] })).map((r) => r.evidenceId)).toEqual([
      'ev-f3',
      'ev-f2',
      'ev-f1',
    ]);
    expect((await store.queryEvidence({ ...range, labelled: true })).map((r) => r.evidenceId)).toEqual([
      'up-1',
      'up-2',
      'ev-w1',
      'ev-f1',
    ]);
    expect((await store.queryEvidence({ ...range, labelled: false, limit: 2 })).map((r) => r.evidenceId)).toEqual([
      'ev-w2',
      'ev-w3',
    ]);
    expect((await store.queryEvidence({ ...range, limit: 1 })).map((r) => r.evidenceId)).toEqual(['ev-w2']);
    expect(await store.queryEvidence({ ...range, devices: [] })).toEqual([]);
  });

  it('an engineer relabel newer than the upload wins over the label the upload carried', async () => {
    await store.write([label('tiles', 'l-9', T + 9000, 'evidence', 'up-2', 'crack', 'carol')]);
    const [r] = await store
      .queryEvidence({ ...range, devices: ['tiles'], limit: 2 })
      .then((rs) => rs.filter((x) => x.evidenceId === 'up-2'));
    expect(r?.label).toEqual({ label: 'crack', by: 'carol', at: T + 9000, source: 'engineer' });
  });

  it('finds one piece of evidence by id; lists the labels of uploads', async () => {
    expect(await store.findEvidence('ev-f2')).toMatchObject({ evidenceId: 'ev-f2', sha256: H('b') });
    expect(await store.findEvidence('nope')).toBeUndefined();
    await expect(store.findEvidence("x' OR 1=1")).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await store.queryUploadLabels()).toEqual(['crack', 'good']);
  });

  it('keeps evidence in RP `evidence` (30 days by default), not in the 7-day raw RP; seqs are counted there', async () => {
    const http = new InfluxHttp({ url: influx.url });
    const [rps] = await http.query('SHOW RETENTION POLICIES ON "takt_evidence"');
    expect(rps?.[0]?.values.find((r) => r[0] === 'evidence')?.[1]).toBe('720h0m0s');
    const [raw] = await http.query('SELECT count("sha256") FROM "takt_evidence"."raw"."evidence"');
    expect(raw).toEqual([]);
    http.close();
    expect(await store.querySeqs({ device: 'cam-1', channel: 'evidence', ...range })).toEqual([1000, 2000]);
    // only a store given `retention.evidence` changes the RP (the ingestor's default does not fight the trainer's setting)
    const trainer = await TelemetryStore.connect({
      url: influx.url,
      database: 'takt_evidence',
      retention: { evidence: '45d' },
    });
    await (await TelemetryStore.connect({ url: influx.url, database: 'takt_evidence' })).close();
    const check = new InfluxHttp({ url: influx.url });
    const [after] = await check.query('SHOW RETENTION POLICIES ON "takt_evidence"');
    expect(after?.[0]?.values.find((r) => r[0] === 'evidence')?.[1]).toBe('1080h0m0s');
    check.close();
    await trainer.close();
  });

  it('BAD INPUT - an evidence publish cannot be written without its blob; bad query arguments are refused', async () => {
    expect(() => toPoints(frameEvidence('cam-1', 'ev-x', T, 'fr-x'))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('blob') }),
    );
    await expect(store.queryEvidence({ ...range, limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.queryEvidence({ ...range, kind: 'video' as 'frame' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.queryEvidence({ ...range, devices: ["cam' OR '1"] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('fault truth', () => {
  it('pairs start and end per device and fault; an open fault has no end; only intervals overlapping the range', async () => {
    expect(await store.queryTruth(range)).toEqual([
      { deviceId: 'press-01', fault: 'bearing-wear', faultId: 'flt-1', start: T + 1000, end: T + 20_000 },
      { deviceId: 'press-01', fault: 'imbalance', faultId: 'flt-2', start: T + 100_000 },
    ]);
    expect(await store.queryTruth({ from: T + 30_000, to: T + 200_000 })).toEqual([
      { deviceId: 'press-01', fault: 'imbalance', faultId: 'flt-2', start: T + 100_000 },
    ]);
    expect(await store.queryTruth({ ...range, devices: ['press-02'] })).toEqual([]);
    expect(await store.querySeqs({ device: 'press-01', channel: 'truth', ...range })).toHaveLength(3);
  });
});
