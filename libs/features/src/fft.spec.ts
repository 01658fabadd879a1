import { describe, expect, it } from 'vitest';
import { fft, hann, nextPow2, powerSpectrum } from './fft.js';

function naiveDft(x: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      re[k] += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im[k] -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
  }
  return { re, im };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fft', () => {
  it('matches a naive DFT on random data', () => {
    const r = rng(7);
    const x = Float64Array.from({ length: 64 }, () => r() * 2 - 1);
    const re = Float64Array.from(x);
    const im = new Float64Array(64);
    fft(re, im);
    const ref = naiveDft(x);
    for (let k = 0; k < 64; k++) {
      expect(re[k]).toBeCloseTo(ref.re[k], 9);
      expect(im[k]).toBeCloseTo(ref.im[k], 9);
    }
  });

  it('BAD CALL - length not a power of two', () => {
    expect(() => fft(new Float64Array(6), new Float64Array(6))).toThrow(RangeError);
  });

  it('BAD CALL - re and im differ in length', () => {
    expect(() => fft(new Float64Array(8), new Float64Array(4))).toThrow(/im has length 4/);
  });

  it('nextPow2 rounds up and never goes below 2', () => {
    expect([1, 2, 3, 1000, 1024, 1025].map(nextPow2)).toEqual([2, 2, 4, 1024, 1024, 2048]);
  });

  it('hann tapers to zero at both ends and peaks at 1 in the middle', () => {
    const w = hann(101);
    expect(w[0]).toBe(0);
    expect(w[100]).toBeCloseTo(0, 15);
    expect(w[50]).toBeCloseTo(1, 15);
  });

  it('power spectrum of a sine puts ≈ A²/2 near its frequency', () => {
    const rate = 1000;
    const x = Float64Array.from({ length: 1024 }, (_, i) => 2 * Math.sin((2 * Math.PI * 125 * i) / rate));
    const { power, binHz } = powerSpectrum(x, rate, 0);
    let total = 0;
    let near = 0;
    let best = 0;
    for (let k = 0; k < power.length; k++) {
      total += power[k];
      if (Math.abs(k * binHz - 125) <= 3 * binHz) near += power[k];
      if (power[k] > power[best]) best = k;
    }
    expect(best * binHz).toBeCloseTo(125, 0);
    expect(total).toBeCloseTo(2, 1);
    expect(near / total).toBeGreaterThan(0.99);
  });
});
