import { describe, expect, it } from 'vitest';
import { sampleManifest } from '@takt/contracts/testing';
import { psi, referenceOf } from './drift.js';

/** Deterministic uniform samples in [0, 1). */
const uniform = (n: number) => Array.from({ length: n }, (_, i) => (i * 0.6180339887) % 1);
const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

describe('psi', () => {
  it('is near 0 for a sample from the reference distribution', () => {
    expect(psi(DECILES, uniform(2000))).toBeLessThan(0.01);
  });

  it('grows with the shift: moderate for +0.1, drifted (> 0.25) for +0.5', () => {
    const small = psi(
      DECILES,
      uniform(2000).map((v) => v + 0.1),
    );
    const large = psi(
      DECILES,
      uniform(2000).map((v) => v + 0.5),
    );
    expect(small).toBeGreaterThan(0.05);
    expect(small).toBeLessThan(large);
    expect(large).toBeGreaterThan(0.25);
  });

  it('merges tied deciles instead of expecting mass in an empty bin', () => {
    // 30 % of the reference is exactly 0: p10 = p20 = p30 = 0
    const ref = [0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    const sample = [...Array(300).fill(0), ...uniform(700).map((v) => v * 0.7)];
    expect(psi(ref, sample)).toBeLessThan(0.05);
  });
});

describe('referenceOf', () => {
  it('reads ref_score_p10..p90 from the manifest metrics, or undefined when incomplete', () => {
    const metrics = Object.fromEntries(DECILES.map((v, i) => [`ref_score_p${(i + 1) * 10}`, v]));
    expect(referenceOf(sampleManifest({ metrics }))).toEqual(DECILES);
    expect(referenceOf(sampleManifest({ metrics: { ref_score_p10: 1 } }))).toBeUndefined();
  });
});
