import { resample, Windower, type FeatureWindow } from '@takt/features';
import { TrainerError } from '../errors.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { readRawBatches, windowLabel, type TruthFault } from '../raw/recording.js';

export interface FaultWindowSpec {
  /** window length, ms; default 2000 */
  lengthMs?: number;
  /** ms between window starts; default lengthMs / 2 */
  hopMs?: number;
  /** samples per channel after resampling; default 128 */
  length?: number;
  /** sensors, in channel order; default every sensor all devices send */
  sensors?: string[];
}

/** Raw windows resampled to [length, channels] (channels-last), one after another. */
export interface RawWindows {
  sensors: string[];
  length: number;
  lengthMs: number;
  hopMs: number;
  x: Float32Array;
  windows: { deviceId: string; start: number; end: number }[];
}

export function windowInput(w: FeatureWindow, sensors: string[], length: number): Float32Array | undefined {
  const data = new Float32Array(length * sensors.length);
  for (let c = 0; c < sensors.length; c++) {
    const s = w.sensors[sensors[c] as string];
    if (!s) return undefined;
    const r = resample(s.values, length);
    for (let i = 0; i < length; i++) data[i * sensors.length + c] = r[i] as number;
  }
  return data;
}

/** Cuts a raw recording into resampled windows of the given sensors. */
export async function rawWindows(
  file: string,
  spec: FaultWindowSpec,
  progress: ProgressReporter = silentProgress,
): Promise<RawWindows> {
  const lengthMs = spec.lengthMs ?? 2000;
  const hopMs = spec.hopMs ?? Math.max(10, Math.round(lengthMs / 2));
  const length = spec.length ?? 128;
  const all: FeatureWindow[] = [];
  const windower = new Windower({ lengthMs, hopMs, ...(spec.sensors ? { sensors: spec.sensors } : {}) });
  const phase = progress.phase('raw batches read', 0);
  await readRawBatches(file, (b) => {
    all.push(...windower.push(b));
    phase.tick();
  });
  phase.done();
  const sensors = spec.sensors ?? commonSensors(all);
  if (sensors.length === 0)
    throw new TrainerError('NO_DATA', `${file}: no sensor is sent by every device; name --sensors`);
  const xs: Float32Array[] = [];
  const windows: RawWindows['windows'] = [];
  for (const w of all) {
    const x = windowInput(w, sensors, length);
    if (!x) continue;
    xs.push(x);
    windows.push({ deviceId: w.deviceId, start: w.start, end: w.end });
  }
  const x = new Float32Array(xs.length * length * sensors.length);
  xs.forEach((v, i) => x.set(v, i * v.length));
  return { sensors, length, lengthMs, hopMs, x, windows };
}

function commonSensors(windows: FeatureWindow[]): string[] {
  const perDevice = new Map<string, Set<string>>();
  for (const w of windows) {
    const s = perDevice.get(w.deviceId) ?? new Set<string>();
    for (const k of Object.keys(w.sensors)) s.add(k);
    perDevice.set(w.deviceId, s);
  }
  const sets = [...perDevice.values()];
  return [...(sets[0] ?? [])].filter((k) => sets.every((s) => s.has(k))).sort();
}

/** Labels windows from ground truth; drops ambiguous ones (a fault covering less than half). */
export function labelWindows(
  raw: RawWindows,
  truth: TruthFault[],
): { x: Float32Array; labels: string[]; kept: number[] } {
  const per = raw.length * raw.sensors.length;
  const kept: number[] = [];
  const labels: string[] = [];
  raw.windows.forEach((w, i) => {
    const l = windowLabel(truth, w.deviceId, w.start, w.end);
    if (l === undefined) return;
    kept.push(i);
    labels.push(l);
  });
  const x = new Float32Array(kept.length * per);
  kept.forEach((i, j) => x.set(raw.x.subarray(i * per, (i + 1) * per), j * per));
  return { x, labels, kept };
}
