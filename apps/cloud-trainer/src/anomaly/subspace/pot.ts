import { quantileSorted } from '../scaling.js';

/**
 * Peaks over threshold (Pickands 1975; Balkema & de Haan 1974): above a high level u, exceedances
 * of almost any distribution follow a generalized Pareto distribution. Fitting it to the healthy
 * scores above their 90th percentile extrapolates the tail to rates the calibration data is too
 * short to show (a 0.1 % rate on 500 rows is a quantile of its single largest value).
 */
export interface PotFit {
  /** the score exceeded with probability `rate` under the fitted tail */
  threshold: number;
  /** `pot` when the GPD was fitted, `empirical` when there were too few exceedances */
  method: 'pot' | 'empirical';
  u: number;
  /** GPD shape ξ (> 0 heavy tail, < 0 bounded) and scale σ */
  xi: number;
  sigma: number;
}

/** quantile of the healthy scores the tail starts at */
export const POT_LEVEL = 0.9;
/** fewer exceedances than this leave ξ unidentifiable: use the empirical quantile */
const MIN_EXCEEDANCES = 20;
/** ξ clamped to the range where probability-weighted moments are consistent and the tail stays plausible */
const XI_RANGE: [number, number] = [-0.5, 0.5];

/**
 * GPD by probability-weighted moments (Hosking & Wallis 1987): closed form, no iteration, robust
 * for the few hundred exceedances a calibration set has.
 */
function gpdPwm(y: Float64Array): { xi: number; sigma: number } {
  const n = y.length;
  let a0 = 0;
  let a1 = 0;
  for (let i = 0; i < n; i++) {
    a0 += (y[i] as number) / n;
    a1 += ((1 - (i + 0.65) / n) * (y[i] as number)) / n; // plotting position (i + 1 − 0.35) / n
  }
  const d = a0 - 2 * a1;
  if (!(d > 0)) return { xi: 0, sigma: a0 };
  return { xi: 2 - a0 / d, sigma: (2 * a0 * a1) / d };
}

/** The (1 − rate) quantile of `values` by POT, never below the empirical quantile. */
export function potThreshold(values: ArrayLike<number>, rate: number): PotFit {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const empirical = quantileSorted(sorted, 1 - rate);
  const u = quantileSorted(sorted, POT_LEVEL);
  const y = sorted.filter((v) => v > u).map((v) => v - u);
  if (y.length < MIN_EXCEEDANCES || rate >= 1 - POT_LEVEL)
    return { threshold: empirical, method: 'empirical', u, xi: 0, sigma: 0 };
  const fit = gpdPwm(y);
  const xi = Math.min(Math.max(fit.xi, XI_RANGE[0]), XI_RANGE[1]);
  const r = (rate * n) / y.length;
  const q = Math.abs(xi) < 1e-9 ? u - fit.sigma * Math.log(r) : u + (fit.sigma / xi) * (r ** -xi - 1);
  return { threshold: Math.max(q, empirical), method: 'pot', u, xi, sigma: fit.sigma };
}
