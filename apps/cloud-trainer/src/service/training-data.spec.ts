import { describe, expect, it } from 'vitest';
import type { FeatureRow, LabelledWindow } from '@takt/telemetry-store';
import { TrainerError } from '../errors.js';
import { buildTrainingSet, selectFeatures, windowSpecOf, byDevice } from './training-data.js';

const T0 = 1_767_225_600_000;

function row(deviceId: string, i: number, features: Record<string, number>, hopMs = 500, lengthMs = 1000): FeatureRow {
  const ts = T0 + i * hopMs;
  return { deviceId, site: 'plant-a', line: 'line-1', ts, seq: i, windowStart: ts - lengthMs, features };
}

describe('selectFeatures', () => {
  it('keeps features finite in every row and varying; drops missing, non-finite and constant ones', () => {
    const rows = [
      row('d1', 0, { 'vibration.rms': 1, 'vibration.crest': 2, 'current.mean': 5, 'temperature.mean': 40 }),
      row('d1', 1, { 'vibration.rms': 2, 'vibration.crest': 2, 'temperature.mean': Number.NaN }),
      row('d1', 2, { 'vibration.rms': 3, 'vibration.crest': 2, 'current.mean': 6, 'temperature.mean': 41 }),
    ];
    expect(selectFeatures(rows)).toEqual({
      names: ['vibration.rms'],
      dropped: ['current.mean', 'temperature.mean', 'vibration.crest'],
    });
  });
});

describe('windowSpecOf', () => {
  it('derives length and hop from the rows and sensors from the feature names', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row('d1', i, { 'vibration.band_0_50': i }, 250, 2000));
    expect(windowSpecOf(byDevice(rows), ['vibration.band_0_50', 'temperature.mean'])).toEqual({
      lengthMs: 2000,
      hopMs: 250,
      sensors: ['temperature', 'vibration'],
    });
  });

  it('falls back to the edge default (1000/500 ms) when rows carry no window start and one window per device', () => {
    const rows = [{ ...row('d1', 0, { 'a.mean': 1 }), windowStart: undefined }];
    expect(windowSpecOf(byDevice(rows), ['a.mean'])).toMatchObject({ lengthMs: 1000, hopMs: 500 });
  });
});

describe('buildTrainingSet', () => {
  const healthy = [
    ...Array.from({ length: 50 }, (_, i) => row('d2', i, { 'v.rms': Math.sin(i), 'v.peak': i % 7 })),
    ...Array.from({ length: 50 }, (_, i) => row('d1', 49 - i, { 'v.rms': Math.cos(i), 'v.peak': i % 5 })),
  ];
  const fault: LabelledWindow = {
    ...row('d1', 100, { 'v.rms': 9, 'v.peak': 9 }),
    label: 'bearing-fault',
    labelId: 'l1',
  };
  const healthyLabelled: LabelledWindow = {
    ...row('d1', 3, { 'v.rms': 0, 'v.peak': 1 }),
    label: 'false-alarm',
    labelId: 'l2',
  };

  it('per device, time-ordered: newest 20 % held out with the labelled fault windows; healthy labels are not faults', () => {
    const set = buildTrainingSet(healthy, [fault], { minWindows: 100 });
    expect(set.devices).toEqual(['d1', 'd2']);
    expect(set.featureNames).toEqual(['v.peak', 'v.rms']);
    expect(set.fit.map((s) => s.features.rows)).toEqual([40, 40]);
    expect(Array.from(set.fit[0]?.ts ?? [])).toEqual(Array.from({ length: 40 }, (_, i) => T0 + i * 500));
    const d1 = set.evaluation[0] ?? [];
    expect(d1.map((r) => r.fault)).toEqual([...Array(10).fill(false), true]);
    expect(d1.map((r) => r.ts)).toEqual([...d1.map((r) => r.ts)].sort((a, b) => a - b));
    expect(set.faultWindows).toBe(1);
    expect(set.window).toEqual({ lengthMs: 1000, hopMs: 500, sensors: ['v'] });
    expect([set.from, set.to]).toEqual([T0, T0 + 49 * 500]);
  });

  it('windows labelled healthy (a false alarm) are trained on and evaluated, whatever their age; the holdout is the newest of the rest', () => {
    // the engineer marked d1's three newest windows a false alarm
    const confirmed = [47, 48, 49].map((i): LabelledWindow => ({
      ...row('d1', i, {}),
      features: healthy.find((r) => r.deviceId === 'd1' && r.ts === T0 + i * 500)!.features,
      label: 'false-alarm',
      labelId: 'l3',
    }));
    const set = buildTrainingSet(healthy, [fault, healthyLabelled, ...confirmed], { minWindows: 100 });
    // d1: 46 unconfirmed windows → 37 fit + 9 held out (the newest unconfirmed: 38..46); 4 confirmed (3, 47, 48, 49) in both
    const fitTs = Array.from(set.fit[0]?.ts ?? [], (t) => (t - T0) / 500);
    expect(fitTs).toEqual([...Array.from({ length: 38 }, (_, i) => i), 47, 48, 49]);
    const d1 = set.evaluation[0] ?? [];
    expect(d1.filter((r) => !r.fault).map((r) => (r.ts - T0) / 500)).toEqual([
      3, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
    ]);
    expect(d1.filter((r) => r.fault)).toHaveLength(1);
    expect(set.fit[1]?.features.rows).toBe(40); // d2 has no labels
  });

  it('BAD INPUT - fewer healthy windows than minWindows is NO_DATA', () => {
    expect(() => buildTrainingSet(healthy.slice(0, 10), [], { minWindows: 100 })).toThrow(
      expect.objectContaining({ code: 'NO_DATA', message: expect.stringContaining('10 healthy feature windows') }),
    );
  });

  it('BAD INPUT - no usable feature is NO_DATA naming the dropped ones', () => {
    const constant = healthy.map((r) => ({ ...r, features: { 'v.crest': 1 } }));
    expect(() => buildTrainingSet(constant, [], { minWindows: 10 })).toThrow(TrainerError);
    expect(() => buildTrainingSet(constant, [], { minWindows: 10 })).toThrow(/v\.crest/);
  });
});
