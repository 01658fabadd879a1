import type { ModelManifest } from '@takt/contracts';
import { TrainerError } from '../errors.js';
import type { Matrix } from './matrix.js';
import type { OnnxAnomalyScorer } from './onnx-scorer.js';
import { emaSmooth, hysteresisEvents, type AnomalyEventSpan, type SmoothingSpec } from './smoothing.js';

export interface ScoredTimeline {
  score: Float64Array;
  smoothed: Float64Array;
  events: AnomalyEventSpan[];
}

/** The smoothing and threshold a manifest prescribes; `BAD_MODEL` when it has none. */
export function decisionOf(m: ModelManifest): { threshold: number; smoothing: SmoothingSpec } {
  if (m.threshold === undefined || !m.smoothing)
    throw new TrainerError('BAD_MODEL', `model ${m.name} v${m.version} has no threshold or smoothing`);
  return { threshold: m.threshold, smoothing: m.smoothing };
}

/** Scores one series with the ONNX model and applies the edge's EMA and hysteresis. */
export async function scoreTimeline(
  scorer: OnnxAnomalyScorer,
  manifest: ModelManifest,
  ts: ArrayLike<number>,
  features: Matrix,
): Promise<ScoredTimeline> {
  const { threshold, smoothing } = decisionOf(manifest);
  const { score } = await scorer.score(features);
  const smoothed = emaSmooth(score, smoothing.alpha);
  return { score, smoothed, events: hysteresisEvents(ts, smoothed, threshold, smoothing) };
}
