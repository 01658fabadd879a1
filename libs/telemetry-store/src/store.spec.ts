import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodePublish,
  encode,
  buildTopic,
  type Channel,
  type DecodedPublish,
  type MessageInput,
} from '@takt/contracts';
import { sampleMessage as fixture } from '@takt/contracts/testing';
import { startInfluxd, type InfluxdServer } from '@takt/testing';
import { StoreError, TelemetryStore } from './index.js';

const addr = { site: 'plant-a', line: 'line-1' };
/** Recent, whole-minute time: the raw RP keeps 7 days, so the contracts' fixed fixture time is too old. */
const FIXTURE_TS = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
/** The contracts' sample message of `channel`, moved to FIXTURE_TS. */
function sampleMessage<C extends Channel>(channel: C, device: string, seq: number): MessageInput<C> {
  const m = fixture(channel, device, seq) as Record<string, unknown>;
  const shift = FIXTURE_TS - (m['ts'] as number);
  for (const k of ['ts', 'windowStart', 'windowEnd', 'openedAt', 'since'])
    if (typeof m[k] === 'number') m[k] = (m[k] as number) + shift;
  if (Array.isArray(m['models'])) for (const am of m['models'] as { since: number }[]) am.since += shift;
  return m as MessageInput<C>;
}
/** A publish as the ingestor sees it: through `decodePublish`. */
function pub<C extends Channel>(channel: C, message: MessageInput<C>): DecodedPublish {
  const device = message.deviceId;
  return decodePublish(buildTopic({ ...addr, device, channel }), encode(channel, message));
}
const telemetry = (device: string, seq: number, ts: number, values: Record<string, number>) =>
  pub('telemetry', { ...sampleMessage('telemetry', device, seq), ts, values });

let influx: InfluxdServer;
let store: TelemetryStore;
const range = { from: FIXTURE_TS - 3_600_000, to: FIXTURE_TS + 3_600_000 };

beforeAll(async () => {
  influx = await startInfluxd();
  store = await TelemetryStore.connect({ url: influx.url, database: 'takt_store' });
});
afterAll(async () => {
  await store?.close();
  await influx?.close();
});

describe('writes', () => {
  it('lands every stored channel with site/line/device tags and its fields', async () => {
    await store.write(
      (['telemetry', 'features', 'anomaly', 'inspection', 'state', 'heartbeat', 'label'] as const).map((c) =>
        pub(c, sampleMessage(c, 'press-01', 7)),
      ),
    );
    const [series] = await store.queryLatestStates();
    expect(series).toMatchObject({
      deviceId: 'press-01',
      site: 'plant-a',
      line: 'line-1',
      ts: FIXTURE_TS,
      seq: 7,
      status: 'online',
      provider: 'cpu',
      outboxDepth: 0,
    });
    expect(series?.models[0]).toMatchObject({ name: 'pump-anomaly', version: 3 });
    expect(await store.querySeries({ device: 'press-01', measurement: 'telemetry', ...range })).toEqual([
      { ts: FIXTURE_TS, values: { temperature: 41.5, current: 12.1 } },
    ]);
    expect(await store.queryFeatures({ device: 'press-01', ...range })).toEqual([
      {
        deviceId: 'press-01',
        site: 'plant-a',
        line: 'line-1',
        ts: FIXTURE_TS,
        seq: 7,
        features: { 'vibration.rms': 0.3 },
        score: 0.4,
        windowStart: FIXTURE_TS - 1000,
        model: { name: 'pump-anomaly', version: 3 },
      },
    ]);
    expect(await store.queryAnomalyEvents(range)).toMatchObject([
      {
        eventId: 'evt-1',
        state: 'open',
        score: 4.2,
        threshold: 2.5,
        openedAt: FIXTURE_TS,
        model: { name: 'pump-anomaly', version: 3 },
      },
    ]);
    expect(await store.queryInspections({ ...range, device: 'press-01' })).toMatchObject([
      { frameId: 'f-1', label: 'scratch', confidence: 0.93, model: { name: 'vision', version: 2 } },
    ]);
    expect(await store.queryLabels(range)).toMatchObject([
      { labelId: 'lbl-1', target: 'anomaly', refId: 'evt-1', label: 'false-alarm', by: 'alice' },
    ]);
    expect(await store.querySeqs({ device: 'press-01', channel: 'heartbeat', ...range })).toEqual([7]);
  });

  it('keeps quotes, backslashes and newlines in text fields', async () => {
    const comment = 'bearing "B2" sounds odd\nC:\\logs, see = here';
    await store.write([pub('label', { ...sampleMessage('label', 'text-01', 1), comment })]);
    expect((await store.queryLabels({ ...range, device: 'text-01' }))[0]?.comment).toBe(comment);
  });

  it('is idempotent: a redelivered message overwrites itself, never duplicates', async () => {
    const batch = Array.from({ length: 50 }, (_, i) =>
      telemetry('idem-01', i, FIXTURE_TS + i * 1000, { temperature: i }),
    );
    await store.write(batch);
    await store.write(batch.slice(10, 30));
    await store.write([telemetry('idem-01', 5, FIXTURE_TS + 5000, { temperature: 99 })]);
    const seqs = await store.querySeqs({ device: 'idem-01', channel: 'telemetry', ...range });
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const series = await store.querySeries({
      device: 'idem-01',
      measurement: 'telemetry',
      fields: ['temperature'],
      ...range,
    });
    expect(series).toHaveLength(50);
    expect(series[5]).toEqual({ ts: FIXTURE_TS + 5000, values: { temperature: 99 } });
  });

  it('writes every interval of a batched telemetry message as its own point, idempotently', async () => {
    const earlier = Array.from({ length: 9 }, (_, i) => ({
      ts: FIXTURE_TS + i * 1000,
      values: { temperature: 40 + i },
    }));
    const batched = pub('telemetry', {
      ...sampleMessage('telemetry', 'rows-01', 3),
      ts: FIXTURE_TS + 9000,
      values: { temperature: 49 },
      earlier,
    });
    // requests are cut by points: with batchSize 15 a message's points span two requests, none lost
    const small = await TelemetryStore.connect({
      url: influx.url,
      database: 'takt_store',
      batchSize: 15,
      ensureSchema: false,
    });
    const shifted = (k: number) =>
      pub('telemetry', {
        ...sampleMessage('telemetry', 'rows-01', 3 + k),
        ts: FIXTURE_TS + 9000 + k * 10_000,
        values: { temperature: 49 },
        earlier: earlier.map((r) => ({ ...r, ts: r.ts + k * 10_000 })),
      });
    await small.write([batched, shifted(1), shifted(2)]);
    await small.write([batched]); // redelivered
    await small.close();
    const series = await store.querySeries({
      device: 'rows-01',
      measurement: 'telemetry',
      fields: ['temperature'],
      ...range,
    });
    expect(series).toHaveLength(30);
    expect(series.slice(0, 10)).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ ts: FIXTURE_TS + i * 1000, values: { temperature: 40 + i } })),
    );
    expect(await store.querySeqs({ device: 'rows-01', channel: 'telemetry', ...range })).toEqual([
      ...Array(10).fill(3),
      ...Array(10).fill(4),
      ...Array(10).fill(5),
    ]);
  });

  it('splits large writes into batches and loses none', async () => {
    const many = Array.from({ length: 12_345 }, (_, i) => telemetry('bulk-01', i, FIXTURE_TS + i, { v: i % 17 }));
    const small = await TelemetryStore.connect({
      url: influx.url,
      database: 'takt_store',
      batchSize: 1000,
      ensureSchema: false,
    });
    await small.write(many);
    await small.close();
    const seqs = await store.querySeqs({ device: 'bulk-01', channel: 'telemetry', ...range });
    expect(seqs.length).toBe(12_345);
    expect(seqs[12_344]).toBe(12_344);
  });

  it('records model events with their detail', async () => {
    await store.writeModelEvent({
      kind: 'promoted',
      model: 'pump-anomaly',
      version: 4,
      deviceId: 'press-01',
      detail: { rolloutId: 'ro-9' },
      ts: FIXTURE_TS,
    });
    expect(await store.queryModelEvents({ ...range, model: 'pump-anomaly' })).toEqual([
      {
        ts: FIXTURE_TS,
        kind: 'promoted',
        model: 'pump-anomaly',
        version: 4,
        deviceId: 'press-01',
        detail: { rolloutId: 'ro-9' },
      },
    ]);
  });
});

describe('bad input', () => {
  it('BAD INPUT - a sensor named like a reserved field is refused as INVALID_POINT, nothing written', async () => {
    const bad = telemetry('bad-01', 1, FIXTURE_TS, { seq: 3 });
    await expect(store.write([telemetry('bad-01', 0, FIXTURE_TS - 1, { t: 1 }), bad])).rejects.toMatchObject({
      name: 'StoreError',
      code: 'INVALID_POINT',
    });
    expect(await store.querySeqs({ device: 'bad-01', channel: 'telemetry', ...range })).toEqual([]);
  });

  it('BAD INPUT - a channel that is not stored is refused as INVALID_ARGUMENT', async () => {
    await expect(store.write([pub('camera', sampleMessage('camera', 'press-01', 0))])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.querySeqs({ device: 'press-01', channel: 'raw', ...range })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('BAD INPUT - an empty or reversed range, a bad id or duration is INVALID_ARGUMENT', async () => {
    await expect(store.queryAnomalyEvents({ from: 10, to: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.queryFeatures({ device: "x' OR 1=1", ...range })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      store.querySeries({ device: 'press-01', measurement: 'telemetry', every: '1 minute', ...range }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('BAD INPUT - a field type conflict answers BAD_REQUEST from influxd', async () => {
    await store.writeLines([`telemetry,device=conf-01,line=l,site=s v=1 ${FIXTURE_TS}`]);
    const err = await store
      .writeLines([`telemetry,device=conf-01,line=l,site=s v="text" ${FIXTURE_TS + 1}`])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'BAD_REQUEST', status: 400, retryable: false });
  });
});

describe('influxd down', () => {
  it('connect to a port where nothing listens fails as UNAVAILABLE', async () => {
    await expect(TelemetryStore.connect({ url: 'http://127.0.0.1:9', timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryable: true,
    });
  });

  it('writes and queries fail as UNAVAILABLE while influxd is stopped, and work again after', async () => {
    await influx.stop();
    try {
      await expect(store.write([telemetry('down-01', 0, FIXTURE_TS, { v: 1 })])).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
      await expect(store.queryLatestStates()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(await store.ping()).toBe(false);
    } finally {
      await influx.start();
    }
    await store.write([telemetry('down-01', 0, FIXTURE_TS, { v: 1 })]);
    expect(await store.querySeqs({ device: 'down-01', channel: 'telemetry', ...range })).toEqual([0]);
  });
});
