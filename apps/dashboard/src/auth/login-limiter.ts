export interface LoginLimiterOptions {
  /** failures allowed per client address + username within `windowMs`; required */
  maxFailures: number;
  /** failures allowed per username within `windowMs`, from any address; required */
  maxFailuresPerUser: number;
  /** failures allowed per client address within `windowMs`, for any usernames; required */
  maxFailuresPerAddress: number;
  /** ms failures are remembered; required */
  windowMs: number;
  /** clock, for tests; default `Date.now` */
  now?: () => number;
}

/** keys remembered per scope before expired ones are swept */
const PRUNE_AT = 100_000;

/** Failure times per key in a sliding window; a key at `max` is locked until its oldest failure leaves it. */
class FailureWindow {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  retryAfterMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.max) return 0;
    return Math.max(1, (recent[0] as number) + this.windowMs - this.now());
  }

  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.now());
    this.#failures.set(key, recent.slice(-this.max));
    if (this.#failures.size > PRUNE_AT) for (const k of [...this.#failures.keys()]) this.#recent(k);
  }

  clear(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length) this.#failures.set(key, recent);
    else this.#failures.delete(key);
    return recent;
  }
}

/**
 * Counts failed sign-ins in a sliding window three ways: per client address + username (the
 * ordinary lockout), per username from any address (guessing one account from many addresses) and per
 * address for any usernames (one address trying many accounts). A sign-in is refused while any of the
 * three is at its limit. A success clears only its address + username count: signing in to one's own
 * account does not reset what an address or a username has been tried with.
 */
export class LoginLimiter {
  readonly #pair: FailureWindow;
  readonly #user: FailureWindow;
  readonly #address: FailureWindow;

  constructor(options: LoginLimiterOptions) {
    const now = options.now ?? Date.now;
    this.#pair = new FailureWindow(options.maxFailures, options.windowMs, now);
    this.#user = new FailureWindow(options.maxFailuresPerUser, options.windowMs, now);
    this.#address = new FailureWindow(options.maxFailuresPerAddress, options.windowMs, now);
  }

  /** ms until `address` may try `username` again; 0 when it may try now. */
  retryAfterMs(address: string, username: string): number {
    const user = username.toLowerCase();
    return Math.max(
      this.#pair.retryAfterMs(pairKey(address, user)),
      this.#user.retryAfterMs(user),
      this.#address.retryAfterMs(address),
    );
  }

  fail(address: string, username: string): void {
    const user = username.toLowerCase();
    this.#pair.fail(pairKey(address, user));
    this.#user.fail(user);
    this.#address.fail(address);
  }

  succeed(address: string, username: string): void {
    this.#pair.clear(pairKey(address, username.toLowerCase()));
  }
}

const pairKey = (address: string, user: string) => `${address}\u0000${user}`;
