import { subspaceToOnnx, type SubspaceParams } from '@takt/onnx';
import { TrainerError } from '../errors.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import type { Matrix } from './matrix.js';
import { OnnxAnomalyScorer } from './onnx-scorer.js';
import { applyScaling, fitRobustScaling, quantileSorted, type RobustScaling } from './scaling.js';
import type { SmoothingSpec } from './smoothing.js';
import { stack, type AnomalySeries } from './series.js';
import { crossFitStatistics, DEFAULT_FOLDS } from './subspace/cross-fit.js';
import { fitDetector, type Detector, type FittedDetector } from './subspace/detector.js';
import { combinedScores, rowStatistics, type RowStatistics } from './subspace/statistics.js';
import { calibrateThreshold, scoreDeciles, type ThresholdOptions } from './threshold.js';

export interface AnomalyFitOptions extends ThresholdOptions {
  /** names of the matrix columns, in order */
  featureNames: string[];
  /** `kmeans` (default), `pca`, or `auto`: both fitted, the one with the tighter healthy band kept */
  detector?: Detector | 'auto';
  /** share of the scaled variance the principal subspace keeps; default 0.95 */
  varianceKept?: number;
  /** k range searched; default 2..8 */
  minK?: number;
  maxK?: number;
  /** k-means++ restarts per k; default 5 */
  restarts?: number;
  /** PRNG seed; default 1 */
  seed?: number;
  /** EMA and hysteresis the edge applies; default alpha 0.3, open after 500 ms, close after 3000 ms */
  smoothing?: SmoothingSpec;
  /** blocked cross-fitting folds whose held-out scores calibrate the limits and threshold; default 5 */
  folds?: number;
  /** constant feature columns: `error` (default) or `drop` */
  constantColumns?: 'error' | 'drop';
  progress?: ProgressReporter;
}

export interface FittedAnomalyModel {
  onnx: Uint8Array;
  detector: Detector;
  /** features the model takes, in order (constant ones dropped when asked) */
  featureNames: string[];
  /** the graph's parameters, limits included */
  params: SubspaceParams;
  /** the graph's first transform, `(x − center) / scale` */
  scaling: RobustScaling;
  threshold: number;
  smoothing: SmoothingSpec;
  /** deciles of the raw held-out scores, the drift reference */
  reference: number[];
  metrics: Record<string, number>;
  samples: number;
  durationMs: number;
}

/**
 * Default factor on the calibrated threshold for feature windows at the edge. Healthy data after
 * the training period wanders (load steps, ambient, warm-up); on simulator feature windows 1.25× kept
 * false alarms at zero. CSV series use 1.0 (the cross-fitted POT threshold already extrapolates).
 */
export const DEFAULT_HEADROOM = 1.25;

export const DEFAULT_SMOOTHING: SmoothingSpec = { alpha: 0.3, openAfterMs: 500, closeAfterMs: 3000 };

/** Quantile of the held-out statistics each limit sits at: a healthy row's T² and SPE indices are ≤ 1 99 % of the time. */
const LIMIT_QUANTILE = 0.99;

/** Largest relative |ONNX − float64 reference| score difference tolerated (float32 arithmetic in the graph). */
const ONNX_TOLERANCE = 1e-3;

function keepColumns(m: Matrix, kept: number[]): Matrix {
  if (kept.length === m.cols) return m;
  const data = new Float64Array(m.rows * kept.length);
  for (let r = 0; r < m.rows; r++)
    kept.forEach((c, j) => (data[r * kept.length + j] = m.data[r * m.cols + c] as number));
  return { rows: m.rows, cols: kept.length, data };
}

function limitOf(values: Float64Array[]): number {
  const sorted = Float64Array.from(values.flatMap((v) => Array.from(v))).sort();
  const q = quantileSorted(sorted, LIMIT_QUANTILE);
  return q > 0 && Number.isFinite(q) ? q : 1;
}

async function checkOnnx(onnx: Uint8Array, params: SubspaceParams, raw: Matrix): Promise<number> {
  const n = Math.min(raw.rows, 256);
  const rows: Matrix = { rows: n, cols: raw.cols, data: raw.data.subarray(0, n * raw.cols) };
  const scorer = await OnnxAnomalyScorer.create(onnx, raw.cols);
  try {
    const got = await scorer.score(rows);
    const want = combinedScores(params, rowStatistics(params, rows));
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(
        worst,
        Math.abs((got.score[i] as number) - (want[i] as number)) / Math.max(1, want[i] as number),
      );
    if (worst > ONNX_TOLERANCE)
      throw new TrainerError(
        'BAD_MODEL',
        `exported anomaly graph disagrees with the trained model by ${worst.toExponential(2)} (relative)`,
      );
    return worst;
  } finally {
    await scorer.close();
  }
}

interface Candidate {
  detector: Detector;
  fitted: FittedDetector;
  params: SubspaceParams;
  held: { ts: Float64Array; score: Float64Array }[];
  cal: ReturnType<typeof calibrateThreshold>;
  /** threshold / median held-out smoothed score: how tight the healthy band is under the alarm line */
  sharpness: number;
}

function fitCandidate(
  detector: Detector,
  series: AnomalySeries[],
  scaling: RobustScaling,
  o: AnomalyFitOptions,
  progress: ProgressReporter,
): Candidate {
  const fitScaled = applyScaling(stack(series), scaling);
  const maxK = Math.min(o.maxK ?? 8, fitScaled.rows - 1);
  const kPhase = progress.phase(
    detector === 'kmeans' ? 'k-means (k, restarts)' : 'principal components',
    detector === 'kmeans' ? Math.max(1, maxK - (o.minK ?? 2) + 1) : 1,
  );
  const base = {
    detector,
    varianceKept: o.varianceKept,
    minK: o.minK,
    maxK: o.maxK,
    restarts: o.restarts,
    seed: o.seed,
  };
  const fitted = fitDetector(fitScaled, scaling, { ...base, onK: (k, s) => kPhase.tick({ k, silhouette: s }) });
  kPhase.done();
  const folds = o.folds ?? DEFAULT_FOLDS;
  const fPhase = progress.phase('cross-fit folds', 1);
  const oof: RowStatistics[] = crossFitStatistics(series, scaling, { ...base, k: fitted.k }, folds);
  fPhase.tick({ folds });
  fPhase.done();
  const limits = {
    t2: limitOf(oof.map((s) => s.t2)),
    spe: fitted.params.basis.length < fitted.params.center.length ? limitOf(oof.map((s) => s.spe)) : 1,
  };
  const params = { ...fitted.params, limits };
  const held = series.map((s, i) => ({ ts: s.ts, score: combinedScores(params, oof[i] as RowStatistics) }));
  const smoothing = o.smoothing ?? DEFAULT_SMOOTHING;
  const cal = calibrateThreshold(held, smoothing, { ...o, headroom: o.headroom ?? DEFAULT_HEADROOM });
  const smoothedMedian = quantileSorted(Float64Array.from(held.flatMap((h) => Array.from(h.score))).sort(), 0.5);
  return { detector, fitted, params, held, cal, sharpness: cal.threshold / Math.max(smoothedMedian, 1e-12) };
}

/**
 * Trains an anomaly model on healthy series: robust scaling, a principal subspace with K-means (or
 * PCA's single centroid) in its whitened scores, T² and SPE limits and the threshold calibrated
 * on blocked cross-fitted (held-out) healthy scores by peaks over threshold, and the ONNX export
 * checked against the float64 model.
 */
export async function fitAnomalyModel(
  series: AnomalySeries[],
  options: AnomalyFitOptions,
): Promise<FittedAnomalyModel> {
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
  const all = stack(series);
  if (all.rows === 0) throw new TrainerError('EMPTY_INPUT', 'no samples to train on');
  const minK = options.minK ?? 2;
  const minRows = Math.max(minK + 1, 2 * (options.folds ?? DEFAULT_FOLDS));
  if (all.rows < minRows)
    throw new TrainerError(
      'TOO_FEW_ROWS',
      `${all.rows} training rows are fewer than needed for ${minK} clusters and ${options.folds ?? DEFAULT_FOLDS}-fold calibration (at least ${minRows})`,
    );
  const scaled = fitRobustScaling(all, options.featureNames, { constantColumns: options.constantColumns });
  const kept = series.map((s) => ({ ...s, features: keepColumns(s.features, scaled.kept) }));
  const keptScaling = { center: scaled.center, scale: scaled.scale };
  const choices: Detector[] = options.detector === 'auto' ? ['kmeans', 'pca'] : [options.detector ?? 'kmeans'];
  const candidates = choices.map((d) => fitCandidate(d, kept, keptScaling, { ...options, smoothing }, progress));
  const best = candidates.reduce((a, b) => (b.sharpness < a.sharpness ? b : a));
  const onnx = subspaceToOnnx(best.params);
  const onnxDiff = await checkOnnx(onnx, best.params, stack(kept));
  const featureNames = scaled.kept.map((i) => options.featureNames[i] as string);
  const reference = scoreDeciles(best.held.flatMap((s) => Array.from(s.score)));
  const metrics: Record<string, number> = {
    detector_kmeans: best.detector === 'kmeans' ? 1 : 0,
    k: best.fitted.k,
    silhouette: best.fitted.silhouette,
    components: best.params.basis.length,
    t2_limit: best.params.limits.t2,
    spe_limit: best.params.limits.spe,
    fit_samples: all.rows,
    calibration_samples: all.rows,
    calibration_folds: options.folds ?? DEFAULT_FOLDS,
    calibration_exceed_rate: best.cal.exceedRate,
    calibration_false_alarms: best.cal.falseAlarmEvents,
    calibration_hours: best.cal.hours,
    pot_xi: best.cal.pot.xi,
    pot_sigma: best.cal.pot.sigma,
    sharpness: best.sharpness,
    ...Object.fromEntries(candidates.filter((c) => c !== best).map((c) => [`sharpness_${c.detector}`, c.sharpness])),
    onnx_max_rel_diff: onnxDiff,
    ...Object.fromEntries(reference.map((v, i) => [`ref_score_p${(i + 1) * 10}`, v])),
  };
  const scaling = { center: best.params.center, scale: best.params.scale };
  return {
    onnx,
    detector: best.detector,
    featureNames,
    params: best.params,
    scaling,
    threshold: best.cal.threshold,
    smoothing,
    reference,
    metrics,
    samples: all.rows,
    durationMs: Date.now() - started,
  };
}
