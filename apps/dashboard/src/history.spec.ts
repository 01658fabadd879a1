import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdServer } from '@takt/testing';
import { TelemetryStore } from '@takt/telemetry-store';
import type { DecodedPublish } from '@takt/contracts';
import { startTestDashboard, type TestDashboard } from './testing/harness.js';
import type { DeviceHistory } from './plant/device-history.js';

const addr = { site: 'site-1', line: 'line-1', device: 'press-07' };

describe('device history from InfluxDB', () => {
  let influx: InfluxdServer;
  let store: TelemetryStore;
  let t: TestDashboard;
  const now = Date.now();

  beforeAll(async () => {
    influx = await startInfluxd();
    store = await TelemetryStore.connect({ url: influx.url });
    const msgs: DecodedPublish[] = [];
    for (let i = 0; i < 180; i++) {
      const ts = now - 3 * 3_600_000 + i * 60_000; // one sample a minute, 3 h ago → now
      msgs.push({
        topic: { ...addr, channel: 'telemetry' },
        message: { schemaVersion: 1, deviceId: addr.device, ts, seq: i, values: { temperature: 50 + i / 10 } },
      } as DecodedPublish);
      msgs.push({
        topic: { ...addr, channel: 'features' },
        message: {
          schemaVersion: 1,
          deviceId: addr.device,
          ts,
          seq: i,
          windowStart: ts - 1000,
          windowEnd: ts,
          features: { 'vibration.rms': 0.3 },
          score: i === 100 ? 9 : 1,
          smoothedScore: 1,
        },
      } as DecodedPublish);
    }
    msgs.push({
      topic: { ...addr, channel: 'anomaly' },
      message: {
        schemaVersion: 1,
        deviceId: addr.device,
        ts: now - 80 * 60_000,
        seq: 0,
        eventId: 'evt-9',
        state: 'open',
        model: { name: 'm', version: 1 },
        score: 9,
        threshold: 2.5,
        openedAt: now - 80 * 60_000,
      },
    } as DecodedPublish);
    await store.write(msgs);
    t = await startTestDashboard({ influx: { url: influx.url, database: 'takt' } });
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
    await influx?.close();
  });

  it('serves a 6 h range from InfluxDB in 1-minute means, with the stored anomaly shaded and seeded as an alert', async () => {
    const s = await t.signIn('viewer');
    const res = await fetch(`${t.url}/api/devices/${addr.device}/history?range=6h`, { headers: { cookie: s.cookie } });
    expect(res.status).toBe(200);
    const h = (await res.json()) as DeviceHistory;
    expect(h.source).toBe('influx');
    expect(h.every).toBe('1m');
    expect(h.telemetry.series['temperature']?.filter((v) => v !== null).length).toBeGreaterThanOrEqual(170);
    expect(Math.max(...(h.scores.series['score']?.filter((v): v is number => v !== null) ?? []))).toBe(9);
    expect(h.anomalies).toEqual([expect.objectContaining({ eventId: 'evt-9', from: now - 80 * 60_000 })]);
    expect(h.threshold).toBe(2.5);
    expect(t.dashboard.plant.alerts.get(`${addr.device}/evt-9`)?.state).toBe('open');
  });

  it('serves a short recent range from the live window (raw, no bucket)', async () => {
    const s = await t.signIn('viewer');
    const h = (await (
      await fetch(`${t.url}/api/devices/${addr.device}/history?range=5m`, { headers: { cookie: s.cookie } })
    ).json()) as DeviceHistory;
    expect(h.source).toBe('live');
    expect(h.every).toBeUndefined();
  });
});
