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
import { waitFor } from '@takt/runtime';
import { InfluxHttp, TelemetryStore } from './index.js';

// Ten minutes into the hour two hours ago: the three test minutes never straddle an hour boundary
// (the hourly rollup expects them in one bucket), and they lie outside the continuous queries'
// 1 h resample window, so only the test's own rollup() writes their rollup.
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 10 * 60_000;
function pub<C extends Channel>(channel: C, message: MessageInput<C>): DecodedPublish {
  const device = message.deviceId;
  return decodePublish(buildTopic({ site: 's1', line: 'l1', device, channel }), encode(channel, message));
}
const telemetry = (device: string, seq: number, ts: number, v: number) =>
  pub('telemetry', { ...sampleMessage('telemetry', device, seq), ts, values: { v, w: 2 * v } });

let influx: InfluxdServer;
let store: TelemetryStore;
beforeAll(async () => {
  influx = await startInfluxd();
  store = await TelemetryStore.connect({ url: influx.url, database: 'takt_series' });
});
afterAll(async () => {
  await store?.close();
  await influx?.close();
});

describe('downsampled series', () => {
  // 18 points 10 s apart over three minutes: minute means 2.5, 8.5, 14.5
  const points = (device: string) => Array.from({ length: 18 }, (_, i) => telemetry(device, i, T + i * 10_000, i));
  const range = { from: T, to: T + 180_000 };

  it('groups raw points into 1-minute means', async () => {
    await store.write(points('ds-01'));
    const s = await store.querySeries({
      device: 'ds-01',
      measurement: 'telemetry',
      fields: ['v'],
      every: '1m',
      source: 'raw',
      ...range,
    });
    expect(s).toEqual([2.5, 8.5, 14.5].map((v, i) => ({ ts: T + i * 60_000, values: { v } })));
  });

  it('reads the 1-minute rollup for long ranges, and leaves empty buckets null', async () => {
    await store.write(points('ds-02'));
    await store.rollup(range);
    // a late point after the rollup ran: raw sees it, the rollup does not until a rollup covers it again
    await store.write([telemetry('ds-02', 100, T + 5_000, 1000)]);
    const H = Math.floor(T / 3_600_000) * 3_600_000;
    const long = { from: H - 23 * 3_600_000, to: H + 3_600_000 };
    const hourly = await store.querySeries({ device: 'ds-02', measurement: 'telemetry', every: '1h', ...long });
    expect(hourly).toHaveLength(24);
    expect(hourly.filter((p) => p.values['v'] !== null)).toEqual([{ ts: H, values: { v: 8.5, w: 17 } }]);
    const raw = await store.querySeries({
      device: 'ds-02',
      measurement: 'telemetry',
      fields: ['v'],
      every: '1m',
      source: 'raw',
      ...range,
    });
    expect(raw[0]?.values['v']).toBeCloseTo((0 + 1 + 2 + 3 + 4 + 5 + 1000) / 7);
  });

  it('continuous queries keep the rollup current without a manual run', async () => {
    const fast = await TelemetryStore.connect({
      url: influx.url,
      database: 'takt_cq',
      retention: { resampleEvery: '1s', resampleFor: '2m' },
    });
    try {
      const now = Math.floor(Date.now() / 1000) * 1000;
      await fast.write(Array.from({ length: 10 }, (_, i) => telemetry('cq-01', i, now - 50_000 + i * 5_000, 3)));
      const q = {
        device: 'cq-01',
        measurement: 'telemetry' as const,
        fields: ['v'],
        every: '1m',
        source: 'rollup' as const,
        from: now - 120_000,
        to: now + 60_000,
      };
      await waitFor(
        'rollup from the continuous query',
        async () => (await fast.querySeries(q)).some((p) => p.values['v'] === 3),
        20_000,
        250,
      );
    } finally {
      await fast.close();
    }
  });
});

describe('healthy vs labelled windows', () => {
  const window = (i: number) =>
    pub('features', {
      ...sampleMessage('features', 'train-01', i),
      ts: T + i * 1000,
      windowStart: T + (i - 1) * 1000,
      windowEnd: T + i * 1000,
      features: { 'vibration.rms': i },
    });
  const event = (id: string, state: 'open' | 'close', openedAt: number, ts: number, seq: number) =>
    pub('anomaly', {
      ...sampleMessage('anomaly', 'train-01', seq),
      eventId: id,
      state,
      openedAt,
      ts,
      ...(state === 'close' ? { closedAt: ts } : {}),
    });
  const label = (id: string, body: Partial<MessageInput<'label'>>, seq: number) =>
    pub('label', { ...sampleMessage('label', 'train-01', seq), ts: T + 600_000 + seq, labelId: id, ...body });

  it('labels win, unlabelled windows inside an event are unconfirmed, the rest are healthy', async () => {
    await store.write([
      ...Array.from({ length: 20 }, (_, i) => window(i)),
      event('evt-a', 'open', T + 5000, T + 5000, 0),
      event('evt-a', 'close', T + 5000, T + 8000, 1),
      event('evt-b', 'open', T + 16_000, T + 16_000, 2),
      event('evt-b', 'close', T + 16_000, T + 17_000, 3),
      label(
        'lbl-w',
        { target: 'window', refId: undefined, from: T + 12_000, to: T + 14_000, label: 'bearing-wear' },
        0,
      ),
      label('lbl-b', { target: 'anomaly', refId: 'evt-b', label: 'false-alarm' }, 1),
    ]);
    const split = await store.queryTrainingWindows({ device: 'train-01', from: T - 1000, to: T + 60_000 });
    const idx = (rows: { ts: number }[]) => rows.map((r) => (r.ts - T) / 1000).sort((a, b) => a - b);
    expect(idx(split.unconfirmed)).toEqual([5, 6, 7, 8, 9]);
    expect(idx(split.labelled)).toEqual([12, 13, 14, 15, 16, 17, 18]);
    expect(split.labelled.filter((w) => w.label === 'bearing-wear').length).toBe(4);
    expect(idx(split.healthy)).toEqual([0, 1, 2, 3, 4, 10, 11, 16, 17, 18, 19]);
  });
});

describe('schema', () => {
  it('connect is idempotent and brings retention and continuous queries up to date', async () => {
    const again = await TelemetryStore.connect({ url: influx.url, database: 'takt_series', retention: { raw: '14d' } });
    await again.close();
    const http = new InfluxHttp({ url: influx.url });
    try {
      const [rps] = await http.query('SHOW RETENTION POLICIES ON takt_series');
      expect(rps?.[0]?.values.map((r) => [r[0], r[1], r[4]])).toEqual([
        ['autogen', '0s', false],
        ['raw', '336h0m0s', true],
        ['rollup_1y', '8736h0m0s', false],
        ['evidence', '720h0m0s', false],
      ]);
      const [cqs] = await http.query('SHOW CONTINUOUS QUERIES');
      const names = cqs
        ?.find((s) => s.name === 'takt_series')
        ?.values.map((r) => String(r[0]))
        .sort();
      expect(names).toEqual(['features_1m', 'heartbeats_1m', 'telemetry_1m']);
    } finally {
      http.close();
    }
  });
});
