/** One sample of a device's telemetry: sensor → value at `ts`. */
export interface TelemetryPoint {
  ts: number;
  values: Record<string, number>;
}

/** One scored window: raw and smoothed anomaly score at the window's end. */
export interface ScorePoint {
  ts: number;
  score?: number;
  smoothed?: number;
}

export interface LiveSeriesOptions {
  /** ms of points kept per device; required */
  windowMs: number;
  /** points kept per device and kind at most; default 20_000 */
  maxPoints?: number;
}

class Ring<T extends { ts: number }> {
  items: T[] = [];
  push(p: T, windowMs: number, maxPoints: number): void {
    const last = this.items[this.items.length - 1];
    if (last && p.ts < last.ts) {
      const i = this.items.findIndex((x) => x.ts >= p.ts);
      if (this.items[i]?.ts === p.ts)
        this.items[i] = p; // redelivery overwrites
      else this.items.splice(i, 0, p);
    } else if (last && p.ts === last.ts) this.items[this.items.length - 1] = p;
    else this.items.push(p);
    const cutoff = (this.items[this.items.length - 1]?.ts ?? p.ts) - windowMs;
    let drop = 0;
    while (drop < this.items.length && (this.items[drop] as T).ts < cutoff) drop++;
    drop = Math.max(drop, this.items.length - maxPoints);
    if (drop > 0) this.items.splice(0, drop);
  }
  range(from: number, to: number): T[] {
    return this.items.filter((x) => x.ts >= from && x.ts <= to);
  }
}

/**
 * The last few minutes of every device's telemetry and anomaly score, kept from the live MQTT feed
 * so the device charts open instantly and work without InfluxDB.
 */
export class LiveSeries {
  readonly #telemetry = new Map<string, Ring<TelemetryPoint>>();
  readonly #scores = new Map<string, Ring<ScorePoint>>();
  readonly #maxPoints: number;

  constructor(private readonly options: LiveSeriesOptions) {
    this.#maxPoints = options.maxPoints ?? 20_000;
  }

  get windowMs(): number {
    return this.options.windowMs;
  }

  addTelemetry(deviceId: string, p: TelemetryPoint): void {
    this.#ring(this.#telemetry, deviceId).push(p, this.options.windowMs, this.#maxPoints);
  }

  addScore(deviceId: string, p: ScorePoint): void {
    this.#ring(this.#scores, deviceId).push(p, this.options.windowMs, this.#maxPoints);
  }

  telemetry(deviceId: string, from: number, to: number): TelemetryPoint[] {
    return this.#telemetry.get(deviceId)?.range(from, to) ?? [];
  }

  scores(deviceId: string, from: number, to: number): ScorePoint[] {
    return this.#scores.get(deviceId)?.range(from, to) ?? [];
  }

  /** ms epoch of the oldest point kept for `deviceId`, or undefined. */
  oldest(deviceId: string): number | undefined {
    const a = this.#telemetry.get(deviceId)?.items[0]?.ts;
    const b = this.#scores.get(deviceId)?.items[0]?.ts;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  #ring<T extends { ts: number }>(map: Map<string, Ring<T>>, deviceId: string): Ring<T> {
    let r = map.get(deviceId);
    if (!r) map.set(deviceId, (r = new Ring<T>()));
    return r;
  }
}

/** Sample rate, Hz, from which a sensor is a waveform (charted as RMS) rather than a slow value (charted as mean). */
export const WAVEFORM_HZ = 200;

/**
 * The one telemetry point a raw batch stands for: the mean of each slow sensor, and the RMS of each
 * waveform sensor (`<name>_rms`), whose mean is ~0 and tells nothing.
 */
export function summariseRaw(t0: number, sensors: Record<string, { rate: number; values: number[] }>): TelemetryPoint {
  const values: Record<string, number> = {};
  let end = t0;
  for (const [name, s] of Object.entries(sensors)) {
    let sum = 0;
    let sq = 0;
    for (const v of s.values) {
      sum += v;
      sq += v * v;
    }
    if (s.rate >= WAVEFORM_HZ) values[`${name}_rms`] = Math.sqrt(sq / s.values.length);
    else values[name] = sum / s.values.length;
    end = Math.max(end, t0 + Math.round((s.values.length / s.rate) * 1000));
  }
  return { ts: end, values };
}
