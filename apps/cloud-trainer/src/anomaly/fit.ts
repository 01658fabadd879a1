import { kmeansToOnnx } from '@takt/onnx';
import { TrainerError } from '../errors.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { refineKmeans } from './kmeans.js';
import { nearest, type Matrix } from './matrix.js';
import { OnnxAnomalyScorer } from './onnx-scorer.js';
import { applyScaling, fitRobustScaling, type RobustScaling } from './scaling.js';
import { selectK } from './select-k.js';
import type { SmoothingSpec } from './smoothing.js';
import { calibrateThreshold, scoreDeciles, type ThresholdOptions } from './threshold.js';
import { splitForCalibration, stack, type AnomalySeries } from './series.js';

export interface AnomalyFitOptions extends ThresholdOptions {
  /** names of the matrix columns, in order */
  featureNames: string[];
  /** k range searched; default 2..8 */
  minK?: number;
  maxK?: number;
  /** k-means++ restarts per k; default 5 */
  restarts?: number;
  /** PRNG seed; default 1 */
  seed?: number;
  /** EMA and hysteresis the edge applies; default alpha 0.3, open after 1000 ms, close after 3000 ms */
  smoothing?: SmoothingSpec;
  /** share of each series (its latest part) held out to calibrate the threshold; default 0.25 */
  calibrationFraction?: number;
  /** constant feature columns: `error` (default) or `drop` */
  constantColumns?: 'error' | 'drop';
  progress?: ProgressReporter;
}

export interface FittedAnomalyModel {
  onnx: Uint8Array;
  /** features the model takes, in order (constant ones dropped when asked) */
  featureNames: string[];
  scaling: RobustScaling;
  centroids: number[][];
  threshold: number;
  smoothing: SmoothingSpec;
  /** deciles of the raw calibration scores, the drift reference */
  reference: number[];
  metrics: Record<string, number>;
  samples: number;
  durationMs: number;
}

/**
 * Default factor on the calibrated quantile. Healthy data after the training period wanders
 * (load steps, ambient, warm-up): on simulator feature windows a threshold at the 99.9th
 * percentile of held-out healthy scores alone still opened ~10 false events per machine-hour; 1.25× opened none.
 */
export const DEFAULT_HEADROOM = 1.25;

export const DEFAULT_SMOOTHING: SmoothingSpec = { alpha: 0.3, openAfterMs: 500, closeAfterMs: 3000 };

/** Largest |ONNX − float64 reference| score difference tolerated (float32 arithmetic in the graph). */
const ONNX_TOLERANCE = 1e-3;

async function checkOnnx(scorer: OnnxAnomalyScorer, raw: Matrix, scaled: Matrix, centroids: Matrix): Promise<number> {
  const n = Math.min(raw.rows, 256);
  const got = await scorer.score({ rows: n, cols: raw.cols, data: raw.data.subarray(0, n * raw.cols) });
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const want = Math.sqrt(nearest(scaled, i, centroids).sq);
    worst = Math.max(worst, Math.abs((got.score[i] as number) - want) / Math.max(1, want));
  }
  if (worst > ONNX_TOLERANCE) throw new TrainerError('BAD_MODEL', `exported K-means graph disagrees with the trained model by ${worst.toExponential(2)} (relative)`);
  return worst;
}

/**
 * Trains a K-means anomaly model on healthy series: robust scaling, k by silhouette, k-means++ with
 * restarts, ONNX export, and a threshold calibrated on held-out healthy data scored by that ONNX graph.
 */
export async function fitAnomalyModel(series: AnomalySeries[], options: AnomalyFitOptions): Promise<FittedAnomalyModel> {
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
  const { fit, calibration } = splitForCalibration(series, options.calibrationFraction ?? 0.25);
  const fitRaw = stack(fit);
  if (fitRaw.rows === 0) throw new TrainerError('EMPTY_INPUT', 'no samples to train on');
  const minK = options.minK ?? 2;
  if (fitRaw.rows <= minK) throw new TrainerError('TOO_FEW_ROWS', `${fitRaw.rows} training rows are fewer than needed for ${minK} clusters (at least ${minK + 1})`);
  const scaling = fitRobustScaling(fitRaw, options.featureNames, { constantColumns: options.constantColumns });
  const fitScaled = applyScaling(fitRaw, scaling);
  const kPhase = progress.phase('k-means (k, restarts)', Math.min(options.maxK ?? 8, fitScaled.rows - 1) - minK + 1);
  const chosen = selectK(fitScaled, { minK, maxK: options.maxK, restarts: options.restarts, seed: options.seed, onK: (k, s) => kPhase.tick({ k, silhouette: s }) });
  kPhase.done();
  const refined = refineKmeans(fitScaled, chosen.model.centroids);
  const centroids = Array.from({ length: refined.centroids.rows }, (_, k) => Array.from(refined.centroids.data.subarray(k * fitScaled.cols, (k + 1) * fitScaled.cols)));
  const featureNames = scaling.kept.map((i) => options.featureNames[i] as string);
  const onnx = kmeansToOnnx({ centroids, center: scaling.center, scale: scaling.scale });
  const scorer = await OnnxAnomalyScorer.create(onnx, featureNames.length);
  try {
    const keptRaw = (m: Matrix) => keepColumns(m, scaling.kept);
    const onnxDiff = await checkOnnx(scorer, keptRaw(fitRaw), fitScaled, refined.centroids);
    const calSeries = calibration.length > 0 ? calibration : fit;
    const scored = await Promise.all(calSeries.map(async (s) => ({ ts: s.ts, score: (await scorer.score(keptRaw(s.features))).score })));
    const cal = calibrateThreshold(scored, smoothing, { ...options, headroom: options.headroom ?? DEFAULT_HEADROOM });
    const reference = scoreDeciles(scored.flatMap((s) => Array.from(s.score)));
    const metrics: Record<string, number> = {
      k: centroids.length,
      silhouette: chosen.silhouettes[chosen.k] ?? 0,
      inertia_per_sample: refined.inertia / fitScaled.rows,
      fit_samples: fitRaw.rows,
      calibration_samples: scored.reduce((n, s) => n + s.score.length, 0),
      calibration_exceed_rate: cal.exceedRate,
      calibration_false_alarms: cal.falseAlarmEvents,
      calibration_hours: cal.hours,
      onnx_max_rel_diff: onnxDiff,
      ...Object.fromEntries(reference.map((v, i) => [`ref_score_p${(i + 1) * 10}`, v])),
    };
    const samples = series.reduce((n, s) => n + s.features.rows, 0);
    return { onnx, featureNames, scaling, centroids, threshold: cal.threshold, smoothing, reference, metrics, samples, durationMs: Date.now() - started };
  } finally {
    await scorer.close();
  }
}

function keepColumns(m: Matrix, kept: number[]): Matrix {
  if (kept.length === m.cols) return m;
  const data = new Float64Array(m.rows * kept.length);
  for (let r = 0; r < m.rows; r++) kept.forEach((c, j) => (data[r * kept.length + j] = m.data[r * m.cols + c] as number));
  return { rows: m.rows, cols: kept.length, data };
}
