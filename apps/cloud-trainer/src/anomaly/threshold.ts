import { TrainerError } from '../errors.js';
import { quantileSorted } from './scaling.js';
import { potThreshold, type PotFit } from './subspace/pot.js';
import { emaSmooth, hysteresisEvents, type SmoothingSpec } from './smoothing.js';

/** One time series of raw scores (one device, or one CSV file), in time order. */
export interface ScoredSeries {
  ts: ArrayLike<number>;
  score: ArrayLike<number>;
}

export interface ThresholdOptions {
  /** share of healthy samples whose smoothed score may exceed the threshold, (0, 0.5); default 0.001 */
  targetFalseAlarmRate?: number;
  /** factor on the quantile, >= 1, a margin for healthy data not yet seen; default 1.0 here, `DEFAULT_HEADROOM` in `fitAnomalyModel` */
  headroom?: number;
}

export interface ThresholdCalibration {
  threshold: number;
  /** share of calibration samples above the threshold */
  exceedRate: number;
  /** hysteresis events on the calibration data */
  falseAlarmEvents: number;
  /** hours of calibration data (sum over series of last ts − first ts) */
  hours: number;
  /** the tail fit the threshold came from */
  pot: PotFit;
}

/**
 * Threshold on the smoothed score, calibrated on healthy data: the (1 − rate) quantile of the
 * EMA-smoothed scores extrapolated by peaks over threshold (`potThreshold`), times `headroom`.
 * Then counts what the edge would raise on that same data.
 */
export function calibrateThreshold(
  series: ScoredSeries[],
  smoothing: SmoothingSpec,
  options: ThresholdOptions = {},
): ThresholdCalibration {
  const rate = options.targetFalseAlarmRate ?? 0.001;
  if (!(rate > 0 && rate < 0.5))
    throw new TrainerError('BAD_ARGUMENT', `targetFalseAlarmRate must be in (0, 0.5), got ${rate}`);
  const smoothed = series.map((s) => emaSmooth(s.score, smoothing.alpha));
  const all = Float64Array.from(smoothed.flatMap((s) => Array.from(s)));
  if (all.length === 0) throw new TrainerError('NO_DATA', 'no healthy samples to calibrate the threshold on');
  const pot = potThreshold(all, rate);
  const threshold = pot.threshold * (options.headroom ?? 1);
  let above = 0;
  for (const v of all) if (v > threshold) above++;
  let events = 0;
  let hours = 0;
  series.forEach((s, i) => {
    events += hysteresisEvents(s.ts, smoothed[i] as Float64Array, threshold, smoothing).length;
    if (s.ts.length > 1) hours += ((s.ts[s.ts.length - 1] as number) - (s.ts[0] as number)) / 3_600_000;
  });
  return { threshold, exceedRate: above / all.length, falseAlarmEvents: events, hours, pot };
}

/** Deciles (p10..p90) of raw scores: the reference distribution drift is measured against. */
export function scoreDeciles(scores: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(scores).sort();
  return Array.from({ length: 9 }, (_, i) => quantileSorted(sorted, (i + 1) / 10));
}
