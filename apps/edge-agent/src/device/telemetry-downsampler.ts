import { MAX_TELEMETRY_SENSORS, type RawSampleBatch, type TelemetryRow } from '@takt/contracts';

/** What one telemetry message carries: the latest interval, and the earlier ones batched with it. */
export interface TelemetryPoint {
  /** end of the latest interval, ms */
  ts: number;
  intervalMs: number;
  /** mean of each sensor over the latest interval */
  values: Record<string, number>;
  /** earlier intervals, oldest first (only when `intervalsPerMessage` > 1) */
  earlier?: TelemetryRow[];
}

/**
 * Downsamples raw batches to one mean per sensor per `intervalMs` (data time, aligned to the epoch).
 * An interval is complete when a sample of a later interval arrives; samples that arrive for an
 * interval already complete are dropped. With `intervalsPerMessage` > 1, complete intervals are
 * collected and handed over together (`earlier` + the latest), so a busy site sends one MQTT
 * message per several intervals.
 */
export class TelemetryDownsampler {
  readonly intervalMs: number;
  readonly intervalsPerMessage: number;
  /** open intervals by bucket number (interval index since the epoch) */
  #open = new Map<number, Map<string, { sum: number; n: number }>>();
  /** buckets below this are complete */
  #completeBelow = Number.NEGATIVE_INFINITY;
  #ready: TelemetryRow[] = [];

  /**
   * @param intervalMs ms per telemetry interval; > 0
   * @param intervalsPerMessage intervals per telemetry message; default 1 (every interval its own message)
   */
  constructor(intervalMs: number, intervalsPerMessage = 1) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    if (!Number.isInteger(intervalsPerMessage) || intervalsPerMessage < 1)
      throw new RangeError(`intervalsPerMessage must be an integer ≥ 1, got ${intervalsPerMessage}`);
    this.intervalMs = intervalMs;
    this.intervalsPerMessage = intervalsPerMessage;
  }

  push(batch: RawSampleBatch): TelemetryPoint[] {
    let newest = Number.NEGATIVE_INFINITY;
    for (const [name, series] of Object.entries(batch.sensors)) {
      const period = 1000 / series.rate;
      series.values.forEach((v, i) => {
        const bucket = Math.floor((batch.t0 + i * period) / this.intervalMs);
        if (bucket < this.#completeBelow) return; // late for an interval already sent
        if (bucket > newest) newest = bucket;
        let sums = this.#open.get(bucket);
        if (!sums) this.#open.set(bucket, (sums = new Map()));
        const acc = sums.get(name);
        if (acc) {
          acc.sum += v;
          acc.n++;
        } else if (sums.size < MAX_TELEMETRY_SENSORS) {
          sums.set(name, { sum: v, n: 1 });
        }
      });
    }
    // every interval before the newest one seen is complete
    if (newest > this.#completeBelow) this.#completeBelow = newest;
    for (const bucket of [...this.#open.keys()].sort((a, b) => a - b)) {
      if (bucket >= this.#completeBelow) break;
      const row = this.#row(bucket);
      if (row) this.#ready.push(row);
    }
    return this.#messages();
  }

  #row(bucket: number): TelemetryRow | undefined {
    const sums = this.#open.get(bucket);
    this.#open.delete(bucket);
    if (!sums || sums.size === 0) return undefined;
    const values: Record<string, number> = {};
    for (const [name, { sum, n }] of sums) values[name] = sum / n;
    return { ts: (bucket + 1) * this.intervalMs, values };
  }

  #messages(): TelemetryPoint[] {
    const out: TelemetryPoint[] = [];
    while (this.#ready.length >= this.intervalsPerMessage) {
      const rows = this.#ready.splice(0, this.intervalsPerMessage);
      const latest = rows.pop() as TelemetryRow;
      out.push({
        ts: latest.ts,
        intervalMs: this.intervalMs,
        values: latest.values,
        ...(rows.length > 0 ? { earlier: rows } : {}),
      });
    }
    return out;
  }
}

/**
 * Splits a batched telemetry message in two at the middle of its intervals (each half a valid
 * message: its latest interval in `values`, the others in `earlier`), for when it is over the
 * channel's size limit; undefined for a single interval, which cannot be split.
 */
export function splitTelemetry(p: TelemetryPoint): [TelemetryPoint, TelemetryPoint] | undefined {
  if (!p.earlier || p.earlier.length === 0) return undefined;
  const rows: TelemetryRow[] = [...p.earlier, { ts: p.ts, values: p.values }];
  const half = (part: TelemetryRow[]): TelemetryPoint => {
    const latest = part[part.length - 1] as TelemetryRow;
    const earlier = part.slice(0, -1);
    return {
      ts: latest.ts,
      intervalMs: p.intervalMs,
      values: latest.values,
      ...(earlier.length > 0 ? { earlier } : {}),
    };
  };
  const mid = Math.ceil(rows.length / 2);
  return [half(rows.slice(0, mid)), half(rows.slice(mid))];
}
