import type { RawSampleBatch } from '@takt/contracts';
import { FeatureError } from './errors.js';
import { SensorStream, TIME_EPS_MS } from './sensor-stream.js';
import type { FeatureWindow, SensorWindow } from './types.js';

export interface WindowerOptions {
  /** window length, ms; > 0 */
  lengthMs: number;
  /** ms between window starts (windows start at multiples of hopMs since the epoch); > 0 */
  hopMs: number;
  /** sensors a window takes; default every sensor the device sends */
  sensors?: string[];
  /** a sensor whose stream lags the newest sensor by more than this many ms stops holding windows back; default lengthMs */
  staleAfterMs?: number;
}

interface DeviceStreams {
  sensors: Map<string, SensorStream>;
  /** start of the next window to emit, ms; undefined until the first sample */
  nextStart?: number;
}

/**
 * Cuts RawSampleBatch streams into windows per device. Windows are aligned to the epoch
 * (start = k·hopMs) and hold the samples with timestamps in [start, start+lengthMs), so the same
 * samples give the same windows however the stream was split into batches (as long as no sensor's
 * batches lag the others' by more than `staleAfterMs`, which is how a dead sensor is told apart).
 */
export class Windower {
  readonly lengthMs: number;
  readonly hopMs: number;
  readonly #sensors?: ReadonlySet<string>;
  readonly #staleAfterMs: number;
  readonly #devices = new Map<string, DeviceStreams>();

  /** @throws FeatureError('INVALID_OPTION') naming the option. */
  constructor(opts: WindowerOptions) {
    for (const key of ['lengthMs', 'hopMs'] as const) {
      if (!(opts[key] > 0) || !Number.isFinite(opts[key]))
        throw new FeatureError('INVALID_OPTION', `${key} must be a positive number of ms, got ${opts[key]}`);
    }
    if (opts.staleAfterMs !== undefined && !(opts.staleAfterMs > 0))
      throw new FeatureError('INVALID_OPTION', `staleAfterMs must be positive, got ${opts.staleAfterMs}`);
    if (opts.sensors !== undefined && opts.sensors.length === 0)
      throw new FeatureError('INVALID_OPTION', 'sensors must name at least one sensor when given');
    this.lengthMs = opts.lengthMs;
    this.hopMs = opts.hopMs;
    if (opts.sensors) this.#sensors = new Set(opts.sensors);
    this.#staleAfterMs = opts.staleAfterMs ?? opts.lengthMs;
  }

  /** Adds one batch; returns the windows it completed, oldest first. */
  push(batch: RawSampleBatch): FeatureWindow[] {
    let dev = this.#devices.get(batch.deviceId);
    if (!dev) {
      dev = { sensors: new Map() };
      this.#devices.set(batch.deviceId, dev);
    }
    for (const [name, series] of Object.entries(batch.sensors)) {
      if (this.#sensors && !this.#sensors.has(name)) continue;
      let stream = dev.sensors.get(name);
      if (!stream || stream.rate !== series.rate) {
        stream = new SensorStream(series.rate);
        dev.sensors.set(name, stream);
      }
      stream.append(batch.t0, series.values);
    }
    if (dev.nextStart === undefined) {
      const first = earliestOf(dev);
      if (first === undefined) return [];
      dev.nextStart = Math.ceil((first - TIME_EPS_MS) / this.hopMs) * this.hopMs;
    }
    return this.#drain(batch.deviceId, dev);
  }

  /** Forgets one device's buffered samples (or every device's). */
  reset(deviceId?: string): void {
    if (deviceId === undefined) this.#devices.clear();
    else this.#devices.delete(deviceId);
  }

  #drain(deviceId: string, dev: DeviceStreams): FeatureWindow[] {
    const out: FeatureWindow[] = [];
    while (dev.nextStart !== undefined && this.#complete(dev, dev.nextStart + this.lengthMs)) {
      const start = dev.nextStart;
      const end = start + this.lengthMs;
      const sensors: Record<string, SensorWindow> = {};
      for (const [name, stream] of dev.sensors) {
        const values = stream.slice(start, end);
        if (values.length > 0) sensors[name] = { rate: stream.rate, values };
      }
      if (Object.keys(sensors).length > 0) out.push({ deviceId, start, end, sensors });
      dev.nextStart = this.#nextStartAfter(dev, start);
      for (const stream of dev.sensors.values()) stream.dropBefore(dev.nextStart);
    }
    return out;
  }

  /** The next window start after `start`, skipping windows a gap in the data leaves empty. */
  #nextStartAfter(dev: DeviceStreams, start: number): number {
    const next = start + this.hopMs;
    const earliest = earliestAfter(dev, next);
    if (earliest === undefined || earliest < next + this.lengthMs) return next;
    return Math.max(next, Math.ceil((earliest - this.lengthMs + TIME_EPS_MS) / this.hopMs) * this.hopMs);
  }

  /** True when every live sensor's stream has reached `end`. */
  #complete(dev: DeviceStreams, end: number): boolean {
    let newest = -Infinity;
    for (const s of dev.sensors.values()) newest = Math.max(newest, s.nextExpected);
    if (newest < end - TIME_EPS_MS) return false;
    for (const s of dev.sensors.values()) {
      if (newest - s.nextExpected > this.#staleAfterMs) continue;
      if (s.nextExpected < end - TIME_EPS_MS) return false;
    }
    return true;
  }
}

function earliestOf(dev: DeviceStreams): number | undefined {
  let first: number | undefined;
  for (const s of dev.sensors.values()) {
    const e = s.earliest;
    if (e !== undefined && (first === undefined || e < first)) first = e;
  }
  return first;
}

/** Earliest buffered sample at or after `time`. */
function earliestAfter(dev: DeviceStreams, time: number): number | undefined {
  let first: number | undefined;
  for (const s of dev.sensors.values()) {
    const e = s.firstAtOrAfter(time);
    if (e !== undefined && (first === undefined || e < first)) first = e;
  }
  return first;
}
