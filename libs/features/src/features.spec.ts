import { describe, expect, it } from 'vitest';
import { bandsFor, computeFeatures, featureNames } from './features.js';
import { FeatureError } from './errors.js';
import type { FeatureWindow } from './types.js';

const win = (sensors: FeatureWindow['sensors']): FeatureWindow => ({
  deviceId: 'press-01',
  start: 0,
  end: 1000,
  sensors,
});
const sine = (n: number, rate: number, hz: number, amp = 1, offset = 0) =>
  Float64Array.from({ length: n }, (_, i) => offset + amp * Math.sin((2 * Math.PI * hz * i) / rate));

describe('computeFeatures', () => {
  it('time-domain features of a square wave are exact', () => {
    const f = computeFeatures(win({ current: { rate: 10, values: Float64Array.from([1, -1, 1, -1]) } }));
    expect(f).toEqual({
      'current.mean': 0,
      'current.rms': 1,
      'current.std': 1,
      'current.peak': 1,
      'current.crest': 1,
      'current.kurtosis': 1,
      'current.skew': 0,
    });
  });

  it('time-domain features of a skewed sample match hand-computed moments', () => {
    const f = computeFeatures(win({ t: { rate: 1, values: Float64Array.from([0, 0, 0, 4]) } }));
    // mean 1; deviations -1,-1,-1,3: m2 = 3, m3 = 6, m4 = 21
    expect(f['t.mean']).toBe(1);
    expect(f['t.std']).toBeCloseTo(Math.sqrt(3), 15);
    expect(f['t.rms']).toBe(2);
    expect(f['t.peak']).toBe(4);
    expect(f['t.crest']).toBe(2);
    expect(f['t.skew']).toBeCloseTo(6 / Math.pow(3, 1.5), 14);
    expect(f['t.kurtosis']).toBeCloseTo(21 / 9, 14);
  });

  it('a constant (stuck) sensor has zero std, skew and kurtosis, not NaN', () => {
    const f = computeFeatures(win({ temperature: { rate: 10, values: new Float64Array(10).fill(41.5) } }));
    expect(f['temperature.std']).toBe(0);
    expect(f['temperature.skew']).toBe(0);
    expect(f['temperature.kurtosis']).toBe(0);
    expect(f['temperature.crest']).toBeCloseTo(1, 15);
  });

  it('finds the dominant frequency and puts the energy in its band', () => {
    const rate = 4000;
    const f = computeFeatures(win({ vibration: { rate, values: sine(4000, rate, 1500, 3, 0.5) } }));
    expect(f['vibration.dominant_hz']).toBeCloseTo(1500, -1);
    expect(f['vibration.band_1000_2000']).toBeCloseTo(4.5, 1); // A²/2
    expect(f['vibration.band_0_500'] + f['vibration.band_500_1000']).toBeLessThan(0.01);
    expect(f['vibration.mean']).toBeCloseTo(0.5, 3);
  });

  it('clips bands to Nyquist and gives slow sensors no spectral features', () => {
    expect(bandsFor(1000).map((b) => b.name)).toEqual(['band_0_500']);
    expect(bandsFor(3000).map((b) => b.name)).toEqual(['band_0_500', 'band_500_1000', 'band_1000_1500']);
    expect(bandsFor(20000).map((b) => b.name)).toEqual([
      'band_0_500',
      'band_500_1000',
      'band_1000_2000',
      'band_2000_5000',
    ]);
    const f = computeFeatures(win({ temperature: { rate: 10, values: sine(10, 10, 1) } }));
    expect(Object.keys(f).some((k) => k.includes('band') || k.includes('dominant'))).toBe(false);
  });

  it('returns keys in featureNames order, sensors sorted', () => {
    const window = win({
      vibration: { rate: 2000, values: sine(2000, 2000, 60) },
      current: { rate: 200, values: sine(200, 200, 50) },
      temperature: { rate: 10, values: sine(10, 10, 1, 1, 40) },
    });
    const names = featureNames({ vibration: 2000, temperature: 10, current: 200 });
    expect(Object.keys(computeFeatures(window))).toEqual(names);
    expect(names[0]).toBe('current.mean');
    expect(names).toContain('vibration.band_500_1000');
    expect(names.every((n) => /^[A-Za-z0-9_.:-]{1,64}$/.test(n))).toBe(true);
  });

  it('is deterministic: the same window twice gives bit-identical numbers', () => {
    const mk = () => win({ vibration: { rate: 3200, values: sine(3200, 3200, 333.3, 1.7, 0.1) } });
    expect(computeFeatures(mk())).toStrictEqual(computeFeatures(mk()));
  });

  it('BAD INPUT - a sensor with no samples is refused with EMPTY_SENSOR', () => {
    expect(() => computeFeatures(win({ vibration: { rate: 1000, values: new Float64Array(0) } }))).toThrow(
      expect.objectContaining({ name: 'FeatureError', code: 'EMPTY_SENSOR' }),
    );
  });

  it('BAD INPUT - NaN sample is refused with NON_FINITE naming the sensor', () => {
    const err = (() => {
      try {
        computeFeatures(win({ current: { rate: 10, values: Float64Array.from([1, Number.NaN]) } }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(FeatureError);
    expect((err as FeatureError).code).toBe('NON_FINITE');
    expect((err as FeatureError).message).toMatch(/"current" sample 1/);
  });

  it('BAD INPUT - zero rate is refused with INVALID_RATE', () => {
    expect(() => computeFeatures(win({ current: { rate: 0, values: Float64Array.from([1]) } }))).toThrow(
      expect.objectContaining({ code: 'INVALID_RATE' }),
    );
  });
});
