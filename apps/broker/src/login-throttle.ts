/** Options of the failed-login slow-down. */
export interface LoginThrottleOptions {
  /** ms added to the delay per failure after the first; default 500 */
  stepMs?: number;
  /** ms the delay never exceeds; default 10_000 */
  maxDelayMs?: number;
  /** ms after its last failure an address starts clean; default 300_000 */
  forgetAfterMs?: number;
  /** clock (tests); default `Date.now` */
  now?: () => number;
}

interface Record {
  failures: number;
  last: number;
}

/**
 * Slows down repeated failed logins from one remote address: the n-th failure in a row delays
 * that address's next answer by (n - 1) × step, up to a ceiling. A success clears the address.
 */
export class LoginThrottle {
  readonly #stepMs: number;
  readonly #maxDelayMs: number;
  readonly #forgetAfterMs: number;
  readonly #now: () => number;
  readonly #byAddress = new Map<string, Record>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#stepMs = options.stepMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 10_000;
    this.#forgetAfterMs = options.forgetAfterMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  /** ms to wait before answering a login attempt from `address`. */
  delayFor(address: string): number {
    const rec = this.#byAddress.get(address);
    if (!rec) return 0;
    if (this.#now() - rec.last > this.#forgetAfterMs) {
      this.#byAddress.delete(address);
      return 0;
    }
    return Math.min(this.#maxDelayMs, Math.max(0, rec.failures - 1) * this.#stepMs);
  }

  failed(address: string): number {
    const rec = this.#byAddress.get(address) ?? { failures: 0, last: 0 };
    rec.failures += 1;
    rec.last = this.#now();
    this.#byAddress.set(address, rec);
    if (this.#byAddress.size > 10_000) this.#prune();
    return rec.failures;
  }

  succeeded(address: string): void {
    this.#byAddress.delete(address);
  }

  /** Addresses currently being slowed down. */
  get tracked(): number {
    return this.#byAddress.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [address, rec] of this.#byAddress)
      if (now - rec.last > this.#forgetAfterMs) this.#byAddress.delete(address);
  }
}
