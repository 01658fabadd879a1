export interface BackoffOptions {
  /** ms, the ceiling of the first delay; each failed attempt doubles the ceiling */
  baseMs: number;
  /** ms, the highest ceiling */
  maxMs: number;
  /** a number in [0, 1); default Math.random (tests pass a fixed one) */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: attempt n waits a random time in
 * [0, min(maxMs, baseMs × 2ⁿ)). Agents that lost the same broker at the same moment spread their
 * retries instead of reconnecting in step (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export class Backoff {
  readonly #opts: BackoffOptions;
  #attempt = 0;

  constructor(opts: BackoffOptions) {
    if (!(opts.baseMs > 0)) throw new RangeError(`baseMs must be > 0, got ${opts.baseMs}`);
    if (!(opts.maxMs >= opts.baseMs))
      throw new RangeError(`maxMs must be >= baseMs (${opts.baseMs}), got ${opts.maxMs}`);
    this.#opts = opts;
  }

  /** The ceiling of the next delay, ms. */
  get ceilingMs(): number {
    return Math.min(this.#opts.maxMs, this.#opts.baseMs * 2 ** this.#attempt);
  }

  /** The delay before the next attempt, ms; raises the ceiling for the one after. */
  next(): number {
    const delay = Math.floor((this.#opts.random ?? Math.random)() * this.ceilingMs);
    if (this.ceilingMs < this.#opts.maxMs) this.#attempt++;
    return delay;
  }

  /** An attempt succeeded: the next failure starts from `baseMs` again. */
  reset(): void {
    this.#attempt = 0;
  }
}
