import type { Matrix } from '../matrix.js';
import { symmetricEigen } from './eigen.js';

/** Principal components of (already scaled) rows. */
export interface PrincipalSubspace {
  /** column means of the rows, length F */
  mean: number[];
  /** q principal directions, unit rows of length F, by variance descending */
  basis: number[][];
  /** variance along each direction, length q */
  variance: number[];
  /** share of the total variance the q directions hold */
  explained: number;
}

/**
 * Share of the variance the kept components must hold. 95 % is the usual choice in process
 * monitoring (Jackson 1991: 90–99 %): the rest, mostly measurement noise, goes to the SPE. Measured on
 * TEP (fit on train_normal, scored out of fold): 90 % and 95 % give the same false-alarm rate
 * and 95 % detects slightly more.
 */
export const DEFAULT_VARIANCE_KEPT = 0.95;

/** Covariance (n − 1) of the rows around their means. */
function covariance(m: Matrix): { mean: number[]; cov: Float64Array } {
  const f = m.cols;
  const mean = new Array<number>(f).fill(0);
  for (let r = 0; r < m.rows; r++)
    for (let c = 0; c < f; c++) mean[c] = (mean[c] as number) + (m.data[r * f + c] as number) / m.rows;
  const cov = new Float64Array(f * f);
  const d = new Float64Array(f);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < f; c++) d[c] = (m.data[r * f + c] as number) - (mean[c] as number);
    for (let i = 0; i < f; i++) {
      const di = d[i] as number;
      if (di === 0) continue;
      for (let j = i; j < f; j++) cov[i * f + j] = (cov[i * f + j] as number) + di * (d[j] as number);
    }
  }
  const denom = Math.max(1, m.rows - 1);
  for (let i = 0; i < f; i++)
    for (let j = i; j < f; j++) cov[j * f + i] = cov[i * f + j] = (cov[i * f + j] as number) / denom;
  return { mean, cov };
}

/**
 * The smallest number of principal components that holds `varianceKept` of the variance (at least
 * one; directions with no variance are never kept, so a rank-deficient set keeps only real ones).
 */
export function fitPrincipalSubspace(m: Matrix, varianceKept = DEFAULT_VARIANCE_KEPT): PrincipalSubspace {
  const { mean, cov } = covariance(m);
  const { values, vectors } = symmetricEigen(cov, m.cols);
  const total = values.reduce((a, v) => a + Math.max(0, v), 0);
  const floor = 1e-12 * Math.max(total, 1e-300);
  let q = 0;
  let held = 0;
  while (q < m.cols && (values[q] as number) > floor && (q === 0 || held < varianceKept * total))
    held += values[q++] as number;
  q = Math.max(q, 1);
  return {
    mean,
    basis: vectors.slice(0, q).map((v) => Array.from(v)),
    variance: Array.from(values.subarray(0, q), (v) => Math.max(v, floor)),
    explained: total > 0 ? held / total : 1,
  };
}
