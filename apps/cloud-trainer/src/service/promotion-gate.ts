import { OnnxAnomalyScorer } from '../anomaly/onnx-scorer.js';
import { emaSmooth, hysteresisEvents, type SmoothingSpec } from '../anomaly/smoothing.js';
import type { GateReport, ModelEvaluation } from './records.js';
import type { EvaluationRow } from './training-data.js';

/** What the gate needs of a model: its ONNX bytes and the decision rule the edge applies. */
export interface GateModel {
  version: number;
  onnx: Uint8Array;
  featureNames: string[];
  threshold: number;
  smoothing: SmoothingSpec;
}

/** Feature names of `model` that some evaluation window lacks (then it cannot be scored on them). */
export function missingFeatures(
  model: Pick<GateModel, 'featureNames'>,
  evaluation: readonly EvaluationRow[][],
): string[] {
  const missing = new Set<string>();
  for (const rows of evaluation)
    for (const r of rows) for (const n of model.featureNames) if (!Number.isFinite(r.features[n])) missing.add(n);
  return [...missing];
}

function matrixOf(rows: readonly EvaluationRow[], names: string[]) {
  const data = new Float64Array(rows.length * names.length);
  rows.forEach((r, i) => names.forEach((n, j) => (data[i * names.length + j] = r.features[n] as number)));
  return { rows: rows.length, cols: names.length, data };
}

/**
 * Scores the evaluation windows with the model's ONNX graph (onnxruntime, as the edge does) and
 * applies its EMA: false-alarm rate and events on each device's healthy windows alone, detection
 * rate on the labelled fault windows within each device's full timeline.
 */
export async function evaluateModel(
  model: GateModel,
  evaluation: readonly EvaluationRow[][],
): Promise<ModelEvaluation> {
  const scorer = await OnnxAnomalyScorer.create(model.onnx, model.featureNames.length);
  let healthy = 0;
  let falseAlarms = 0;
  let events = 0;
  let faults = 0;
  let detected = 0;
  try {
    for (const rows of evaluation) {
      if (rows.length === 0) continue;
      const { score } = await scorer.score(matrixOf(rows, model.featureNames));
      const timeline = emaSmooth(score, model.smoothing.alpha);
      const healthyIdx = rows.flatMap((r, i) => (r.fault ? [] : [i]));
      const healthySmoothed = emaSmooth(
        Float64Array.from(healthyIdx, (i) => score[i] as number),
        model.smoothing.alpha,
      );
      healthy += healthyIdx.length;
      for (const v of healthySmoothed) if (v > model.threshold) falseAlarms++;
      events += hysteresisEvents(
        Float64Array.from(healthyIdx, (i) => (rows[i] as EvaluationRow).ts),
        healthySmoothed,
        model.threshold,
        model.smoothing,
      ).length;
      rows.forEach((r, i) => {
        if (!r.fault) return;
        faults++;
        if ((timeline[i] as number) > model.threshold) detected++;
      });
    }
  } finally {
    await scorer.close();
  }
  return {
    version: model.version,
    falseAlarmRate: healthy === 0 ? 0 : falseAlarms / healthy,
    falseAlarmEvents: events,
    ...(faults > 0 ? { detectionRate: detected / faults } : {}),
  };
}

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);

/**
 * The promotion gate: a candidate passes when it is at least as good as the current model on the
 * same windows — with labelled faults, detection rate not lower and false-alarm rate not higher;
 * without, false-alarm rate on held-out healthy windows not higher — each within `slack` (absolute).
 */
export async function runGate(
  candidate: GateModel,
  current: GateModel | undefined,
  evaluation: readonly EvaluationRow[][],
  slack: number,
): Promise<GateReport> {
  const healthyWindows = evaluation.reduce((n, rows) => n + rows.filter((r) => !r.fault).length, 0);
  const faultWindows = evaluation.reduce((n, rows) => n + rows.filter((r) => r.fault).length, 0);
  const basis = faultWindows > 0 ? 'labelled' : 'healthy-holdout';
  const cand = await evaluateModel(candidate, evaluation);
  const base = { basis, healthyWindows, faultWindows, candidate: cand } as const;
  if (!current) return { ...base, passed: true, reason: 'no current model' };
  const missing = missingFeatures(current, evaluation);
  if (missing.length > 0)
    return {
      ...base,
      passed: true,
      reason: `current v${current.version} cannot be scored on these windows (missing ${missing.slice(0, 5).join(', ')})`,
    };
  const cur = await evaluateModel(current, evaluation);
  const farOk = cand.falseAlarmRate <= cur.falseAlarmRate + slack;
  const detOk = basis === 'healthy-holdout' || (cand.detectionRate ?? 0) >= (cur.detectionRate ?? 0) - slack;
  const passed = farOk && detOk;
  const reason =
    `${passed ? 'as good as' : 'worse than'} current v${cur.version}: false alarms ${pct(cand.falseAlarmRate)} vs ${pct(cur.falseAlarmRate)}` +
    (basis === 'labelled' ? `, detection ${pct(cand.detectionRate)} vs ${pct(cur.detectionRate)}` : '');
  return { ...base, current: cur, passed, reason };
}
