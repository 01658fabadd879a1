/**
 * A token bucket in bytes: it fills at `bytesPerSecond` up to `burstBytes`. A piece passes when the
 * bucket holds its size — or, for a piece larger than the whole bucket, when the bucket is full;
 * the bucket may then go into debt, so over any long stretch no more than the rate passes.
 */
export class EvidenceBudget {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  /** `now`: ms clock; default performance.now */
  constructor(o: { bytesPerSecond: number; burstBytes: number }, now: () => number = () => performance.now()) {
    if (!(o.bytesPerSecond >= 0)) throw new RangeError(`bytesPerSecond must be >= 0, got ${o.bytesPerSecond}`);
    if (!(o.burstBytes > 0)) throw new RangeError(`burstBytes must be > 0, got ${o.burstBytes}`);
    this.#rate = o.bytesPerSecond;
    this.#burst = o.burstBytes;
    this.#now = now;
    this.#tokens = o.burstBytes;
    this.#at = now();
  }

  /**
   * Takes `bytes` from the bucket when they may pass now; false (nothing taken) when not. `keep`:
   * bytes this piece may not take (a sample leaves them for pieces that matter more).
   */
  take(bytes: number, keep = 0): boolean {
    this.#refill();
    if (this.#tokens - keep < Math.min(bytes, this.#burst - keep)) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** Bytes in the bucket now (negative while in debt). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.#now();
    if (now <= this.#at) return; // a clock stepped back adds nothing
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }
}
