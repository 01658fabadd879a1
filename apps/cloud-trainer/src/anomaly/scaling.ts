import { TrainerError } from '../errors.js';
import type { Matrix } from './matrix.js';

/** `(x - center) / scale` per feature, the transform the ONNX graph applies first. */
export interface RobustScaling {
  center: number[];
  scale: number[];
}

export interface ScalingOptions {
  /** what a column with one value throughout does: `error` (CSV input) or `drop` it; default `error` */
  constantColumns?: 'error' | 'drop';
}

export interface ScalingResult extends RobustScaling {
  /** indices of the input columns kept, in order */
  kept: number[];
  /** names of the columns dropped as constant */
  dropped: string[];
}

/** Linear-interpolated quantile of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** IQR of a normal distribution in standard deviations: IQR / 1.349 ≈ σ. */
const IQR_TO_SIGMA = 1.349;

function columnScale(sorted: Float64Array): { center: number; scale: number } | undefined {
  const n = sorted.length;
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  if (max === min) return undefined;
  const center = quantileSorted(sorted, 0.5);
  let scale = (quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25)) / IQR_TO_SIGMA;
  if (!(scale > 0)) {
    // mostly one value with a few others (e.g. an energy band that is usually empty): fall back to σ
    let mean = 0;
    for (const v of sorted) mean += v / n;
    let ss = 0;
    for (const v of sorted) ss += (v - mean) ** 2;
    scale = Math.sqrt(ss / n);
  }
  // never divide by a denormal: keep the scale above float32 resolution of the center
  return { center, scale: Math.max(scale, 1e-6 * Math.max(1, Math.abs(center))) };
}

/**
 * Robust scaling: center = median, scale = IQR/1.349 (σ for Gaussian data, unmoved by outliers);
 * a column that is not constant but has IQR 0 falls back to its standard deviation.
 * A constant column carries no information and would divide by zero: it is refused or dropped.
 */
export function fitRobustScaling(m: Matrix, names: string[], options: ScalingOptions = {}): ScalingResult {
  const center: number[] = [];
  const scale: number[] = [];
  const kept: number[] = [];
  const dropped: string[] = [];
  const col = new Float64Array(m.rows);
  for (let c = 0; c < m.cols; c++) {
    for (let r = 0; r < m.rows; r++) col[r] = m.data[r * m.cols + c] as number;
    const s = columnScale(col.slice().sort());
    if (!s) {
      if ((options.constantColumns ?? 'error') === 'error') {
        throw new TrainerError(
          'CONSTANT_COLUMN',
          `column "${names[c]}" has the same value (${col[0]}) in every row; exclude it (--exclude-columns ${names[c]})`,
        );
      }
      dropped.push(names[c] ?? String(c));
      continue;
    }
    center.push(s.center);
    scale.push(s.scale);
    kept.push(c);
  }
  if (kept.length === 0)
    throw new TrainerError(
      'CONSTANT_COLUMN',
      `every feature column is constant (${dropped.join(', ')}); nothing to learn from`,
    );
  return { center, scale, kept, dropped };
}

/** Keeps `kept` columns and applies the scaling, into a new matrix. */
export function applyScaling(m: Matrix, s: RobustScaling & { kept?: number[] }): Matrix {
  const kept = s.kept ?? Array.from({ length: m.cols }, (_, i) => i);
  const out = new Float64Array(m.rows * kept.length);
  for (let r = 0; r < m.rows; r++) {
    for (let j = 0; j < kept.length; j++) {
      out[r * kept.length + j] =
        ((m.data[r * m.cols + (kept[j] as number)] as number) - (s.center[j] as number)) / (s.scale[j] as number);
    }
  }
  return { rows: m.rows, cols: kept.length, data: out };
}
