import { describe, expect, it } from 'vitest';
import { RAW_LIMITS, type RawSampleBatch } from '@takt/contracts';
import { EvidenceBudget } from './evidence-budget.js';
import { assembleWindow, RawHistory } from './raw-window.js';

const T0 = 1_767_225_600_000;

/** 100 ms: `rate` Hz vibration valued by sample time (so joins can be checked), 10 Hz temperature. */
function batch(t0: number, rate = 1000, sensors: string[] = ['vibration', 'temperature']): RawSampleBatch {
  const all: RawSampleBatch['sensors'] = {
    vibration: { rate, values: Array.from({ length: rate / 10 }, (_, i) => t0 - T0 + (i * 1000) / rate) },
    temperature: { rate: 10, unit: 'C', values: [t0 - T0] },
  };
  return {
    schemaVersion: 1,
    deviceId: 'd',
    ts: t0 + 100,
    seq: 0,
    t0,
    sensors: Object.fromEntries(sensors.map((s) => [s, all[s]!])),
  };
}
const batches = (fromMs: number, toMs: number, rate?: number) =>
  Array.from({ length: (toMs - fromMs) / 100 }, (_, k) => batch(T0 + fromMs + k * 100, rate));

describe('assembleWindow', () => {
  it('joins contiguous batches: every series starts at t0, evenly spaced at its rate', () => {
    const w = assembleWindow(batches(0, 1_000), T0 + 500, 1 << 20)!;
    expect(w).toMatchObject({ t0: T0, end: T0 + 1_000, cutAtGap: false, shortened: false });
    expect(w.sensors['vibration']!.values).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(w.sensors['temperature']).toEqual({
      rate: 10,
      unit: 'C',
      values: [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
    });
  });

  it('BAD INPUT - a hole in the samples: the window is cut at the hole, keeping the side that holds the onset', () => {
    const holed = [...batches(0, 1_000), ...batches(1_300, 2_000)]; // 300 ms missing
    const w = assembleWindow(holed, T0 + 1_500, 1 << 20)!;
    expect(w).toMatchObject({ t0: T0 + 1_300, end: T0 + 2_000, cutAtGap: true });
    expect(w.sensors['vibration']!.values[0]).toBe(1_300);
    const before = assembleWindow(holed, T0 + 200, 1 << 20)!;
    expect(before).toMatchObject({ t0: T0, end: T0 + 1_000, cutAtGap: true });
  });

  it('BAD INPUT - a sensor missing from one batch, or a batch off the sample grid, is a hole too', () => {
    const missing = [...batches(0, 500), batch(T0 + 500, 1000, ['vibration']), ...batches(600, 1_000)];
    expect(assembleWindow(missing, T0 + 800, 1 << 20)).toMatchObject({ t0: T0 + 600, cutAtGap: true });
    const offGrid = [...batches(0, 500), ...batches(0, 500).map((b) => ({ ...b, t0: b.t0 + 503 }))]; // 3 ms late at 1 kHz
    expect(assembleWindow(offGrid, T0 + 100, 1 << 20)).toMatchObject({ t0: T0, end: T0 + 500, cutAtGap: true });
  });

  it('over the byte limit or the per-series sample limit: whole batches go from the end farther from the onset', () => {
    const all = batches(0, 10_000);
    const full = assembleWindow(all, T0 + 2_000, 1 << 24)!;
    const w = assembleWindow(all, T0 + 2_000, 40_000)!; // the whole is about 55 KB
    expect(w.shortened).toBe(true);
    expect(w.bytes).toBeLessThanOrEqual(40_000);
    expect(w.t0).toBe(T0); // the onset is near the start: the end was cut
    expect(w.end - w.t0).toBeLessThan(full.end - full.t0);
    expect(w.end - w.t0).toBeGreaterThan(2_000);
    const fast = batches(0, 8_000, 10_000); // 80,000 samples of a 10 kHz series
    const f = assembleWindow(fast, T0 + 4_000, 1 << 30)!;
    expect(f.shortened).toBe(true);
    expect(f.sensors['vibration']!.values.length).toBeLessThanOrEqual(RAW_LIMITS.maxSamples);
    expect(f.t0).toBeLessThan(T0 + 4_000);
    expect(f.end).toBeGreaterThan(T0 + 4_000);
  });

  it('RawHistory keeps keepMs of data, and more while a window is held open', () => {
    const h = new RawHistory(1_000);
    for (const b of batches(0, 3_000)) h.push(b);
    expect(h.between(0, Infinity)[0]!.t0).toBe(T0 + 2_000);
    for (const b of batches(3_000, 6_000)) h.push(b, T0 + 2_500);
    expect(h.between(0, Infinity)[0]!.t0).toBe(T0 + 2_500); // the first batch that ends after holdFrom
  });
});

describe('EvidenceBudget', () => {
  it('passes up to the burst at once, then the rate; a piece larger than the bucket passes only when it is full, leaving a debt', () => {
    let now = 0;
    const b = new EvidenceBudget({ bytesPerSecond: 1_000, burstBytes: 5_000 }, () => now);
    expect([b.take(3_000), b.take(2_000), b.take(1)]).toEqual([true, true, false]);
    now += 1_000;
    expect([b.take(1_000), b.take(1)]).toEqual([true, false]);
    now += 60_000; // full again, not fuller
    expect(b.tokens).toBe(5_000);
    expect(b.take(20_000)).toBe(true);
    expect(b.tokens).toBe(-15_000);
    now += 19_000;
    expect(b.take(5_000)).toBe(false); // still paying: 4,000 in the bucket
    now += 1_000;
    expect(b.take(5_000)).toBe(true);
    now -= 10_000; // a clock stepped back adds nothing
    expect(b.tokens).toBe(0);
    now += 20_000; // full: 5,000
    expect(b.take(2_000, 2_500)).toBe(true); // a sample leaves 2,500 in the bucket
    expect(b.take(1_000, 2_500)).toBe(false); // 3,000 left: it would take from the 2,500 kept back
    expect(b.take(1_000)).toBe(true); // what matters more may
    expect(() => new EvidenceBudget({ bytesPerSecond: -1, burstBytes: 1 })).toThrow(RangeError);
  });
});
