export interface LoginLimiterOptions {
  /** failures allowed per key within `windowMs`; required */
  maxFailures: number;
  /** ms failures are remembered; required */
  windowMs: number;
  /** clock, for tests; default `Date.now` */
  now?: () => number;
}

/**
 * Counts failed sign-ins per IP + username in a sliding window. Once a key reaches `maxFailures`
 * it is locked until its oldest counted failure leaves the window; a success clears the key.
 */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(private readonly options: LoginLimiterOptions) {
    this.#now = options.now ?? Date.now;
  }

  static key(ip: string, username: string): string {
    return `${ip}\u0000${username.toLowerCase()}`;
  }

  /** ms until `key` may try again; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.options.maxFailures) return 0;
    return Math.max(1, (recent[0] as number) + this.options.windowMs - this.#now());
  }

  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#now());
    this.#failures.set(key, recent);
    if (this.#failures.size > 100_000) this.#prune();
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.options.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length) this.#failures.set(key, recent);
    else this.#failures.delete(key);
    return recent;
  }

  #prune(): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key);
  }
}
