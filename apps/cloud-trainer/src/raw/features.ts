import { computeFeatures, Windower, type FeatureWindow } from '@takt/features';
import { TrainerError } from '../errors.js';
import type { Matrix } from '../anomaly/matrix.js';
import { readRawBatches } from './recording.js';

export interface DeviceFeatureSeries {
  deviceId: string;
  /** window ends, ms */
  ts: Float64Array;
  windowStart: Float64Array;
  features: Record<string, number>[];
}

/** Cuts a raw recording into feature windows per device (`@takt/features`, as the edge does). */
export async function featuresFromRaw(
  file: string,
  window: { lengthMs: number; hopMs: number; sensors?: string[] },
): Promise<DeviceFeatureSeries[]> {
  const windower = new Windower(window);
  const byDevice = new Map<string, { ts: number[]; start: number[]; features: Record<string, number>[] }>();
  const take = (w: FeatureWindow) => {
    let d = byDevice.get(w.deviceId);
    if (!d) byDevice.set(w.deviceId, (d = { ts: [], start: [], features: [] }));
    d.ts.push(w.end);
    d.start.push(w.start);
    d.features.push(computeFeatures(w));
  };
  await readRawBatches(file, (b) => windower.push(b).forEach(take));
  return [...byDevice.entries()].map(([deviceId, d]) => ({
    deviceId,
    ts: Float64Array.from(d.ts),
    windowStart: Float64Array.from(d.start),
    features: d.features,
  }));
}

/**
 * A matrix of `names` from feature records; a record missing a name (a sensor that sent nothing
 * in that window) is dropped, and `kept` says which records made it.
 */
export function featureMatrix(records: Record<string, number>[], names: string[]): { matrix: Matrix; kept: number[] } {
  if (names.length === 0) throw new TrainerError('NO_DATA', 'no feature names to build a matrix from');
  const kept: number[] = [];
  const rows: number[] = [];
  records.forEach((r, i) => {
    const v = names.map((n) => r[n]);
    if (v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      kept.push(i);
      rows.push(...(v as number[]));
    }
  });
  return { matrix: { rows: kept.length, cols: names.length, data: Float64Array.from(rows) }, kept };
}

/** Feature names every record of every series has, sorted: the shared input of a group model. */
export function commonFeatureNames(series: { features: Record<string, number>[] }[]): string[] {
  let common: Set<string> | undefined;
  for (const s of series) {
    const counts = new Map<string, number>();
    for (const r of s.features) for (const k of Object.keys(r)) counts.set(k, (counts.get(k) ?? 0) + 1);
    // a name present in at least 95 % of a device's windows counts (a short dropout must not remove a sensor)
    const here = new Set([...counts].filter(([, c]) => c >= 0.95 * s.features.length).map(([k]) => k));
    common = common ? new Set([...common].filter((k) => here.has(k))) : here;
  }
  return [...(common ?? [])].sort();
}
