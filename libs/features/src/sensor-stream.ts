/** Tolerance, ms, for comparing sample times computed as t0 + i·1000/rate. */
export const TIME_EPS_MS = 1e-6;

/** The buffered samples of one sensor of one device, with each sample's time (ms since epoch). */
export class SensorStream {
  readonly rate: number;
  /** ms between samples */
  readonly periodMs: number;
  #times: number[] = [];
  #values: number[] = [];
  #head = 0;
  /** time of the newest sample, ms; -Infinity before the first */
  lastTime = -Infinity;

  constructor(rate: number) {
    this.rate = rate;
    this.periodMs = 1000 / rate;
  }

  /** When the sample after the newest is due, ms: a window ending at or before it is complete. */
  get nextExpected(): number {
    return this.lastTime + this.periodMs;
  }

  /** Oldest buffered sample time, or undefined when empty. */
  get earliest(): number | undefined {
    return this.#head < this.#times.length ? this.#times[this.#head] : undefined;
  }

  /** Time of the first buffered sample at or after `time`, or undefined. */
  firstAtOrAfter(time: number): number | undefined {
    for (let i = this.#head; i < this.#times.length; i++) {
      const t = this.#times[i];
      if (t >= time - TIME_EPS_MS) return t;
    }
    return undefined;
  }

  /** Appends a batch's samples; samples not newer than the last one (QoS 1 redelivery, overlap) are skipped. */
  append(t0: number, values: readonly number[]): void {
    const skipBefore = this.lastTime + this.periodMs / 2;
    for (let i = 0; i < values.length; i++) {
      const t = t0 + i * this.periodMs;
      if (t < skipBefore) continue;
      this.#times.push(t);
      this.#values.push(values[i]);
      this.lastTime = t;
    }
  }

  /** Samples with time in [start, end), as a copy. */
  slice(start: number, end: number): Float64Array {
    const out: number[] = [];
    for (let i = this.#head; i < this.#times.length; i++) {
      const t = this.#times[i];
      if (t >= end - TIME_EPS_MS) break;
      if (t >= start - TIME_EPS_MS) out.push(this.#values[i]);
    }
    return Float64Array.from(out);
  }

  /** Drops samples older than `time`. */
  dropBefore(time: number): void {
    while (this.#head < this.#times.length && this.#times[this.#head] < time - TIME_EPS_MS) this.#head++;
    if (this.#head > 4096 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#values = this.#values.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Samples currently buffered. */
  get size(): number {
    return this.#times.length - this.#head;
  }
}
