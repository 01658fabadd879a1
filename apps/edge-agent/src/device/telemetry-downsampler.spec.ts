import { describe, expect, it } from 'vitest';
import type { RawSampleBatch } from '@takt/contracts';
import { TelemetryDownsampler } from './telemetry-downsampler.js';

const T0 = 1_767_225_600_000; // a whole second
/** A 10 Hz batch of two sensors: `temp` = value, `current` = 10 × value, for each ms offset in `at`. */
function batch(t0: number, values: number[]): RawSampleBatch {
  return {
    schemaVersion: 1,
    deviceId: 'pump-1',
    ts: t0 + values.length * 100,
    seq: 0,
    t0,
    sensors: { temp: { rate: 10, values }, current: { rate: 10, values: values.map((v) => v * 10) } },
  } as RawSampleBatch;
}

describe('TelemetryDownsampler', () => {
  it('emits one mean per sensor per interval once a later interval starts', () => {
    const d = new TelemetryDownsampler(1000);
    expect(d.push(batch(T0, [1, 2, 3, 4, 5]))).toEqual([]);
    expect(d.push(batch(T0 + 500, [5, 5, 5, 5, 5]))).toEqual([]);
    expect(d.push(batch(T0 + 1000, [9]))).toEqual([
      { ts: T0 + 1000, intervalMs: 1000, values: { temp: 4, current: 40 } },
    ]);
  });

  it('a batch across an interval boundary counts every sensor on both sides (not only the first sensor)', () => {
    const d = new TelemetryDownsampler(1000);
    // 0.5 s in the first interval, 0.5 s in the second, then one sample of the third
    expect(d.push(batch(T0 + 500, [1, 1, 1, 1, 1, 3, 3, 3, 3, 3]))).toEqual([
      { ts: T0 + 1000, intervalMs: 1000, values: { temp: 1, current: 10 } },
    ]);
    expect(d.push(batch(T0 + 2000, [7]))).toEqual([
      { ts: T0 + 2000, intervalMs: 1000, values: { temp: 3, current: 30 } },
    ]);
  });

  it('batches intervals: the latest in values, the earlier ones oldest first', () => {
    const d = new TelemetryDownsampler(1000, 3);
    const out = [];
    for (let s = 0; s < 7; s++) out.push(...d.push(batch(T0 + s * 1000, Array(10).fill(s))));
    expect(out).toEqual([
      {
        ts: T0 + 3000,
        intervalMs: 1000,
        values: { temp: 2, current: 20 },
        earlier: [
          { ts: T0 + 1000, values: { temp: 0, current: 0 } },
          { ts: T0 + 2000, values: { temp: 1, current: 10 } },
        ],
      },
      {
        ts: T0 + 6000,
        intervalMs: 1000,
        values: { temp: 5, current: 50 },
        earlier: [
          { ts: T0 + 4000, values: { temp: 3, current: 30 } },
          { ts: T0 + 5000, values: { temp: 4, current: 40 } },
        ],
      },
    ]);
  });

  it('drops samples late for an interval already sent', () => {
    const d = new TelemetryDownsampler(1000);
    d.push(batch(T0, [1, 1]));
    expect(d.push(batch(T0 + 1000, [2]))).toHaveLength(1);
    expect(d.push(batch(T0 + 900, [100]))).toEqual([]); // late: belongs to the sent interval
    expect(d.push(batch(T0 + 2000, [3]))).toEqual([
      { ts: T0 + 2000, intervalMs: 1000, values: { temp: 2, current: 20 } },
    ]);
  });

  it('BAD CALL - intervalMs ≤ 0 or a fractional batch size → RangeError', () => {
    expect(() => new TelemetryDownsampler(0)).toThrow(RangeError);
    expect(() => new TelemetryDownsampler(1000, 1.5)).toThrow(RangeError);
    expect(() => new TelemetryDownsampler(1000, 0)).toThrow(RangeError);
  });
});
