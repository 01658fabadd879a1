import { describe, expect, it } from 'vitest';
import { sampleMessage } from '@takt/contracts/testing';
import { decodePublish, buildTopic, encode, type Channel } from '@takt/contracts';
import { Plant } from './plant.js';
import { summariseRaw } from './live-series.js';
import { FaultLog } from './fault-log.js';

const addr = { site: 'site-1', line: 'line-2', device: 'press-01' };
const BOUNDS = { maxPerDevice: 200, maxTotal: 5_000 };
const msg = <C extends Channel>(channel: C, patch: object = {}) =>
  decodePublish(buildTopic({ ...addr, channel }), encode(channel, { ...sampleMessage(channel), ...patch } as never));

describe('Plant', () => {
  it('keeps device status from state and heartbeat, and marks a silent device offline', () => {
    const plant = new Plant({ offlineAfterMs: 30_000, liveWindowMs: 60_000, alerts: BOUNDS });
    const ts = Date.now();
    plant.apply(msg('state', { ts, outboxDepth: 7 }));
    expect(plant.devices.view('press-01', ts)).toMatchObject({
      status: 'online',
      site: 'site-1',
      line: 'line-2',
      outboxDepth: 7,
      provider: 'cpu',
    });
    plant.apply(msg('heartbeat', { ts: ts + 1_000, outboxDepth: 2 }));
    expect(plant.devices.view('press-01', ts + 1_000)?.outboxDepth).toBe(2);
    plant.apply(msg('state', { ts: ts - 5_000, outboxDepth: 99 })); // an older retained copy
    expect(plant.devices.view('press-01', ts + 1_000)?.outboxDepth).toBe(2);
    expect(plant.devices.view('press-01', ts + 40_000)?.status).toBe('offline');
  });

  it('opens and closes alerts, counting open anomalies per device', () => {
    const plant = new Plant({ offlineAfterMs: 30_000, liveWindowMs: 60_000, alerts: BOUNDS });
    plant.apply(msg('anomaly', { eventId: 'e1' }));
    plant.apply(msg('anomaly', { eventId: 'e2' }));
    expect(plant.overview()[0]?.openAnomalies).toBe(2);
    plant.apply(
      msg('anomaly', {
        eventId: 'e1',
        state: 'close',
        score: 1,
        peakScore: 6,
        closedAt: sampleMessage('anomaly').ts + 5_000,
      }),
    );
    expect(plant.alerts.get('press-01/e1')).toMatchObject({ state: 'closed', peakScore: 6 });
    expect(plant.overview()[0]?.openAnomalies).toBe(1);
    expect(plant.thresholds.get('press-01')).toBe(2.5);
  });

  it("bounds the alert book per device: a flooding device drops its own oldest alerts (closed first), counted, and no other device's", () => {
    const plant = new Plant({ offlineAfterMs: 30_000, liveWindowMs: 60_000, alerts: { maxPerDevice: 5, maxTotal: 8 } });
    const other = (eventId: string) =>
      decodePublish(
        buildTopic({ ...addr, device: 'press-02', channel: 'anomaly' }),
        encode('anomaly', { ...sampleMessage('anomaly'), deviceId: 'press-02', eventId }),
      );
    plant.apply(other('quiet-1'));
    plant.apply(other('quiet-2'));
    plant.apply(msg('anomaly', { eventId: 'e0' }));
    plant.apply(
      msg('anomaly', { eventId: 'e0', state: 'close', score: 1, closedAt: sampleMessage('anomaly').ts + 1_000 }),
    );
    for (let i = 1; i <= 20; i++) plant.apply(msg('anomaly', { eventId: `e${i}` }));
    const flood = plant.alerts.list({ device: 'press-01', limit: 100 }).map((a) => a.eventId);
    expect(flood.sort()).toEqual(['e16', 'e17', 'e18', 'e19', 'e20']);
    expect(plant.alerts.get('press-01/e0')).toBeUndefined(); // the closed one went first
    expect(
      plant.alerts
        .list({ device: 'press-02', limit: 100 })
        .map((a) => a.eventId)
        .sort(),
    ).toEqual(['quiet-1', 'quiet-2']);
    expect(plant.alerts.dropped).toBe(16);
    expect(plant.overview().find((d) => d.deviceId === 'press-01')?.openAnomalies).toBe(5);
  });

  it('summarises raw batches: mean for slow sensors, RMS for waveforms', () => {
    const p = summariseRaw(1_000, {
      vibration: { rate: 1000, values: [1, -1, 1, -1] },
      temperature: { rate: 10, values: [40, 42] },
    });
    expect(p.values).toEqual({ vibration_rms: 1, temperature: 41 });
    expect(p.ts).toBe(1_200);
  });

  it('charts every interval of batched telemetry, oldest first', () => {
    const plant = new Plant({ offlineAfterMs: 30_000, liveWindowMs: 60_000, alerts: BOUNDS });
    const ts = sampleMessage('telemetry').ts;
    const seen: number[] = [];
    plant.on('telemetry', (_d, p) => seen.push(p.ts));
    plant.apply(
      msg('telemetry', {
        ts,
        values: { t: 3 },
        earlier: [
          { ts: ts - 2_000, values: { t: 1 } },
          { ts: ts - 1_000, values: { t: 2 } },
        ],
      }),
    );
    expect(seen).toEqual([ts - 2_000, ts - 1_000, ts]);
    expect(plant.series.telemetry('press-01', 0, ts).map((p) => p.values['t'])).toEqual([1, 2, 3]);
  });

  it('keeps only the live window of series, and a redelivered point overwrites itself', () => {
    const plant = new Plant({ offlineAfterMs: 30_000, liveWindowMs: 10_000, alerts: BOUNDS });
    for (let i = 0; i < 30; i++) plant.series.addTelemetry('d', { ts: i * 1_000, values: { t: i } });
    plant.series.addTelemetry('d', { ts: 25_000, values: { t: -1 } });
    const kept = plant.series.telemetry('d', 0, 100_000);
    expect(kept[0]?.ts).toBe(19_000);
    expect(kept.filter((p) => p.ts === 25_000)).toEqual([{ ts: 25_000, values: { t: -1 } }]);
  });
});

describe('FaultLog', () => {
  it('keeps verdicts oldest first even out of order, one per window end, bounded per device', () => {
    const log = new FaultLog(3);
    const p = (ts: number, label = 'normal') => ({ ts, label, confidence: 0.9, model: { name: 'fault', version: 1 } });
    log.add('pump-1', p(20));
    log.add('pump-1', p(10));
    log.add('pump-1', p(30));
    log.add('pump-1', p(20, 'imbalance')); // the same window again: replaced, not doubled
    expect(log.history('pump-1').map((x) => `${x.ts}:${x.label}`)).toEqual(['10:normal', '20:imbalance', '30:normal']);
    log.add('pump-1', p(40, 'cavitation'));
    expect(log.history('pump-1').map((x) => x.ts)).toEqual([20, 30, 40]);
    expect(log.latest('pump-1')?.label).toBe('cavitation');
    expect(log.history('pump-2')).toEqual([]);
  });
});
