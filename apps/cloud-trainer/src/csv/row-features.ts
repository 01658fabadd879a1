import { TrainerError } from '../errors.js';
import type { Matrix } from '../anomaly/matrix.js';
import type { CsvSeries } from './series.js';

/** Trailing statistics a CSV row can carry besides its values. */
export type RollingStat = 'mean' | 'std';

/**
 * Per-row features of a CSV time series. Each row is one sample; besides each column's value, a
 * short trailing window of `window` rows (the row and the ones before it, fewer at the start of a
 * file) adds the chosen statistics: the mean by default (a level held over the window, so one noisy
 * row does not drive the score), the standard deviation on request (bursts of noise, stuck sensors).
 * Feature names carry the recipe (`value`, `value.mean_6`, `value.std_6`): scoring rebuilds exactly
 * the features named in the manifest.
 */
export function rowFeatureNames(columns: string[], window: number, stats: RollingStat[] = ['mean']): string[] {
  const base = columns.map(featureName);
  if (window <= 1 || stats.length === 0) return base;
  return base.flatMap((c) => [c, ...stats.map((k) => `${c}.${k}_${window}`)]);
}

/** A column header as a manifest feature name (`[A-Za-z0-9_.:-]`, at most 64 characters). */
export function featureName(column: string): string {
  const name = column
    .trim()
    .replace(/[^A-Za-z0-9_.:-]/g, '_')
    .slice(0, 64);
  return name === '' ? '_' : name;
}

type Recipe = { column: number; kind: 'value' } | { column: number; kind: 'mean' | 'std'; window: number };

function recipeFor(name: string, columns: string[]): Recipe | undefined {
  const direct = columns.indexOf(name);
  if (direct >= 0) return { column: direct, kind: 'value' };
  const m = /^(.*)\.(mean|std)_(\d+)$/.exec(name);
  if (!m) return undefined;
  const column = columns.indexOf(m[1] as string);
  return column < 0 ? undefined : { column, kind: m[2] as 'mean' | 'std', window: Number(m[3]) };
}

function trailing(values: Matrix, col: number, r: number, window: number, kind: 'mean' | 'std'): number {
  const from = Math.max(0, r - window + 1);
  const n = r - from + 1;
  let mean = 0;
  for (let i = from; i <= r; i++) mean += (values.data[i * values.cols + col] as number) / n;
  if (kind === 'mean') return mean;
  let ss = 0;
  for (let i = from; i <= r; i++) ss += ((values.data[i * values.cols + col] as number) - mean) ** 2;
  return Math.sqrt(ss / n);
}

/** The rows × features matrix for `names` (as `rowFeatureNames` made them) from a series. */
export function buildRowFeatures(series: CsvSeries, names: string[]): Matrix {
  const cols = series.columns.map(featureName);
  const recipes = names.map((name) => {
    const r = recipeFor(name, cols);
    if (!r)
      throw new TrainerError(
        'FEATURE_MISMATCH',
        `CSV ${series.file} cannot supply model feature "${name}" (columns: ${series.columns.join(', ')})`,
      );
    return r;
  });
  const out = new Float64Array(series.values.rows * names.length);
  for (let r = 0; r < series.values.rows; r++) {
    recipes.forEach((rec, j) => {
      out[r * names.length + j] =
        rec.kind === 'value'
          ? (series.values.data[r * series.values.cols + rec.column] as number)
          : trailing(series.values, rec.column, r, rec.window, rec.kind);
    });
  }
  return { rows: series.values.rows, cols: names.length, data: out };
}
