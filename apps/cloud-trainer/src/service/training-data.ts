import type { WindowSpec } from '@takt/contracts';
import type { FeatureRow, LabelledWindow } from '@takt/telemetry-store';
import { TrainerError } from '../errors.js';
import type { AnomalySeries } from '../anomaly/series.js';

/** The edge's default feature window, used when the rows do not tell (edge-agent `window` config). */
export const DEFAULT_WINDOW = { lengthMs: 1_000, hopMs: 500 } as const;

/** One evaluation window: its features and whether it is healthy or a labelled fault. */
export interface EvaluationRow {
  deviceId: string;
  ts: number;
  features: Record<string, number>;
  fault: boolean;
}

/** Healthy windows split for training, plus the evaluation windows the promotion gate scores. */
export interface TrainingSet {
  featureNames: string[];
  /** features dropped because they were missing/non-finite in some row, or constant */
  droppedFeatures: string[];
  /** per device, time-ordered: what `fitAnomalyModel` gets */
  fit: AnomalySeries[];
  /** per device, time-ordered: held-out healthy windows and labelled fault windows */
  evaluation: EvaluationRow[][];
  window: WindowSpec;
  devices: string[];
  healthyWindows: number;
  faultWindows: number;
  /** ms range the windows span */
  from: number;
  to: number;
}

/**
 * Features usable for training: present and finite in every row, and not constant. Sorted, so
 * the manifest order does not depend on the order influxd returns fields in.
 */
export function selectFeatures(rows: readonly FeatureRow[]): { names: string[]; dropped: string[] } {
  const all = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.features)) all.add(k);
  const names: string[] = [];
  const dropped: string[] = [];
  for (const name of [...all].sort()) {
    let min = Infinity;
    let max = -Infinity;
    let complete = true;
    for (const r of rows) {
      const v = r.features[name];
      if (v === undefined || !Number.isFinite(v)) {
        complete = false;
        break;
      }
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (complete && max > min) names.push(name);
    else dropped.push(name);
  }
  return { names, dropped };
}

const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Groups rows by device, each time-ordered with duplicate timestamps dropped. */
export function byDevice<R extends { deviceId: string; ts: number }>(rows: readonly R[]): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const list = out.get(r.deviceId) ?? [];
    list.push(r);
    out.set(r.deviceId, list);
  }
  for (const [d, list] of out) {
    list.sort((a, b) => a.ts - b.ts);
    out.set(
      d,
      list.filter((r, i) => i === 0 || r.ts !== (list[i - 1] as R).ts),
    );
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The window the features were computed on: length = median(window end − start), hop = median
 * gap between a device's consecutive windows, sensors = the sensor part of each feature name
 * (`vibration.rms` → `vibration`). Falls back to the edge default when the rows do not tell.
 */
export function windowSpecOf(perDevice: Map<string, FeatureRow[]>, featureNames: string[]): WindowSpec {
  const lengths: number[] = [];
  const hops: number[] = [];
  for (const rows of perDevice.values()) {
    rows.forEach((r, i) => {
      if (r.windowStart !== undefined && r.ts > r.windowStart) lengths.push(r.ts - r.windowStart);
      if (i > 0) hops.push(r.ts - (rows[i - 1] as FeatureRow).ts);
    });
  }
  const clamp = (v: number | undefined, dflt: number) =>
    v === undefined || !(v >= 10) ? dflt : Math.min(3_600_000, Math.round(v));
  const sensors = [...new Set(featureNames.map((n) => (n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : n)))]
    .sort()
    .slice(0, 64);
  return {
    lengthMs: clamp(median(lengths), DEFAULT_WINDOW.lengthMs),
    hopMs: clamp(median(hops), DEFAULT_WINDOW.hopMs),
    sensors,
  };
}

function toSeries(id: string, rows: readonly FeatureRow[], names: string[]): AnomalySeries {
  const cols = names.length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => names.forEach((n, j) => (data[i * cols + j] = r.features[n] as number)));
  return { id, ts: Float64Array.from(rows, (r) => r.ts), features: { rows: rows.length, cols, data } };
}

export interface TrainingSetOptions {
  /** fewest healthy windows needed; default 200 */
  minWindows?: number;
  /** share of each device's newest healthy windows held out for evaluation; default 0.2 */
  evaluationFraction?: number;
  /** labels that mean "healthy" (windows with any other label are faults) */
  healthyLabels?: readonly string[];
}

/**
 * Builds the training set from the store's windows: feature selection, per-device series, the
 * newest `evaluationFraction` of each device's unlabelled healthy windows held out, and labelled
 * fault windows for the gate. Windows labelled healthy (`false-alarm`, `ok`, …) are both trained on
 * and evaluated: labelling a false alarm is how an engineer teaches the next model, and the gate
 * then checks that the candidate learned it.
 * Throws `TrainerError('NO_DATA')` when there are fewer than `minWindows` healthy windows or no usable feature.
 */
export function buildTrainingSet(
  healthy: readonly FeatureRow[],
  labelled: readonly LabelledWindow[],
  options: TrainingSetOptions = {},
): TrainingSet {
  const minWindows = options.minWindows ?? 200;
  if (healthy.length < minWindows)
    throw new TrainerError(
      'NO_DATA',
      `${healthy.length} healthy feature windows in the range; at least ${minWindows} are needed`,
    );
  const { names, dropped } = selectFeatures(healthy);
  if (names.length === 0)
    throw new TrainerError(
      'NO_DATA',
      `no feature is present, finite and varying in every healthy window (dropped: ${dropped.slice(0, 10).join(', ')})`,
    );
  const perDevice = byDevice(healthy);
  const healthyLabels = new Set(options.healthyLabels ?? ['healthy', 'ok', 'normal', 'false-alarm']);
  const faults = byDevice(labelled.filter((w) => !healthyLabels.has(w.label)));
  const confirmed = new Set(labelled.filter((w) => healthyLabels.has(w.label)).map((w) => `${w.deviceId}@${w.ts}`));
  const fraction = options.evaluationFraction ?? 0.2;
  const fit: AnomalySeries[] = [];
  const evaluation: EvaluationRow[][] = [];
  for (const [device, rows] of perDevice) {
    // windows an engineer confirmed healthy (e.g. a false alarm) are what a retrained model must learn:
    // they are trained on, and scored by the gate too; the holdout is the newest unconfirmed windows
    const isConfirmed = (r: FeatureRow) => confirmed.has(`${device}@${r.ts}`);
    const plain = rows.filter((r) => !isConfirmed(r));
    const sure = rows.filter(isConfirmed);
    const nEval = plain.length >= 10 ? Math.floor(plain.length * fraction) : 0;
    const heldOut = plain.slice(plain.length - nEval);
    fit.push(
      toSeries(
        device,
        [...plain.slice(0, plain.length - nEval), ...sure].sort((a, b) => a.ts - b.ts),
        names,
      ),
    );
    const evalRows: EvaluationRow[] = [...heldOut, ...sure].map((r) => ({
      deviceId: device,
      ts: r.ts,
      features: r.features,
      fault: false,
    }));
    for (const f of faults.get(device) ?? [])
      evalRows.push({ deviceId: device, ts: f.ts, features: f.features, fault: true });
    evaluation.push(evalRows.sort((a, b) => a.ts - b.ts));
  }
  for (const [device, rows] of faults) {
    if (!perDevice.has(device))
      evaluation.push(rows.map((f) => ({ deviceId: device, ts: f.ts, features: f.features, fault: true })));
  }
  let from = Infinity;
  let to = -Infinity;
  for (const r of healthy) [from, to] = [Math.min(from, r.ts), Math.max(to, r.ts)];
  return {
    featureNames: names,
    droppedFeatures: dropped,
    fit,
    evaluation,
    window: windowSpecOf(perDevice, names),
    devices: [...perDevice.keys()],
    healthyWindows: healthy.length,
    faultWindows: evaluation.reduce((n, rows) => n + rows.filter((r) => r.fault).length, 0),
    from,
    to,
  };
}
