import type { RawSampleBatch } from '@takt/contracts';

export interface TelemetryPoint {
  /** end of the interval, ms */
  ts: number;
  intervalMs: number;
  /** mean of each sensor over the interval */
  values: Record<string, number>;
}

/**
 * Downsamples raw batches to one mean per sensor per `intervalMs` (data time, aligned to the epoch).
 * An interval is emitted when the first batch of a later interval arrives.
 */
export class TelemetryDownsampler {
  readonly intervalMs: number;
  #bucket: number | undefined;
  #sums = new Map<string, { sum: number; n: number }>();

  /** @param intervalMs ms per telemetry point; > 0 */
  constructor(intervalMs: number) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    this.intervalMs = intervalMs;
  }

  push(batch: RawSampleBatch): TelemetryPoint[] {
    const out: TelemetryPoint[] = [];
    for (const [name, series] of Object.entries(batch.sensors)) {
      const period = 1000 / series.rate;
      series.values.forEach((v, i) => {
        const bucket = Math.floor((batch.t0 + i * period) / this.intervalMs);
        if (this.#bucket !== undefined && bucket > this.#bucket) {
          const p = this.#emit();
          if (p) out.push(p);
        }
        if (this.#bucket === undefined || bucket >= this.#bucket) {
          this.#bucket = bucket;
          const acc = this.#sums.get(name) ?? { sum: 0, n: 0 };
          acc.sum += v;
          acc.n++;
          this.#sums.set(name, acc);
        }
      });
    }
    return out;
  }

  #emit(): TelemetryPoint | undefined {
    if (this.#bucket === undefined || this.#sums.size === 0) return undefined;
    const values: Record<string, number> = {};
    for (const [name, { sum, n }] of [...this.#sums].slice(0, 128)) values[name] = sum / n;
    this.#sums = new Map();
    return { ts: (this.#bucket + 1) * this.intervalMs, intervalMs: this.intervalMs, values };
  }
}
