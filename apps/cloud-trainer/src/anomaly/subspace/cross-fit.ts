import { TrainerError } from '../../errors.js';
import type { Matrix } from '../matrix.js';
import { applyScaling, type RobustScaling } from '../scaling.js';
import { stack, type AnomalySeries } from '../series.js';
import { fitDetector, type DetectorOptions } from './detector.js';
import { rowStatistics, type RowStatistics } from './statistics.js';

/**
 * Folds of blocked cross-fitting. Five is the usual bias/variance compromise; blocks are contiguous
 * in time, so a held-out block is scored by a model that never saw its neighbours (shuffled folds
 * would leak autocorrelated rows and make held-out scores as optimistic as in-sample ones).
 */
export const DEFAULT_FOLDS = 5;

function block(n: number, folds: number, f: number): [number, number] {
  return [Math.floor((n * f) / folds), Math.floor((n * (f + 1)) / folds)];
}

function rowsOf(s: AnomalySeries, from: number, to: number): Matrix {
  const { cols } = s.features;
  return { rows: to - from, cols, data: s.features.data.subarray(from * cols, to * cols) };
}

/**
 * Out-of-fold statistics of every row: each series is cut into `folds` contiguous blocks, and block
 * f of every series is scored by a detector fitted on all the other blocks. These are the scores
 * of healthy data the model has not seen, which is what a threshold must be calibrated on.
 * `series` hold raw features (the scaled columns only); the scaling is shared by all folds.
 */
export function crossFitStatistics(
  series: AnomalySeries[],
  scaling: RobustScaling,
  options: DetectorOptions,
  folds = DEFAULT_FOLDS,
): RowStatistics[] {
  const out = series.map((s) => ({ t2: new Float64Array(s.features.rows), spe: new Float64Array(s.features.rows) }));
  for (let f = 0; f < folds; f++) {
    const train = series.flatMap((s) => {
      const [a, b] = block(s.features.rows, folds, f);
      return [
        { ...s, features: rowsOf(s, 0, a) },
        { ...s, features: rowsOf(s, b, s.features.rows) },
      ];
    });
    const fitRows = stack(train);
    if (fitRows.rows < 3)
      throw new TrainerError(
        'TOO_FEW_ROWS',
        `${fitRows.rows} rows outside fold ${f + 1} of ${folds}: too few to cross-fit`,
      );
    const { params } = fitDetector(applyScaling(fitRows, scaling), scaling, options);
    series.forEach((s, i) => {
      const [a, b] = block(s.features.rows, folds, f);
      if (b <= a) return;
      const st = rowStatistics(params, rowsOf(s, a, b));
      (out[i] as RowStatistics).t2.set(st.t2, a);
      (out[i] as RowStatistics).spe.set(st.spe, a);
    });
  }
  return out;
}
