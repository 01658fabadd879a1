import { randomBytes } from 'node:crypto';

export interface HysteresisOptions {
  /** EMA weight of the newest score, (0, 1] */
  alpha: number;
  /** smoothed score above which a window counts as anomalous */
  threshold: number;
  /** ms the smoothed score must stay above the threshold before an event opens */
  openAfterMs: number;
  /** ms it must stay at or below before the event closes */
  closeAfterMs: number;
  /**
   * ms; a step between windows backwards, or forwards by more than this, is a clock jump (an NTP
   * step on the plant clock) and counts as one ordinary step; default 60_000
   */
  clockJumpMs?: number;
}

export interface AnomalyTransition {
  state: 'open' | 'close';
  eventId: string;
  openedAt: number;
  closedAt?: number;
  /** smoothed score at the transition */
  score: number;
  peakScore: number;
}

/**
 * Anomaly events with hysteresis on an EMA-smoothed score, in data time (window ends): one `open`
 * once the score has stayed above the threshold for `openAfterMs`, one `close` once it has stayed
 * at or below for `closeAfterMs` — never one message per window.
 */
export class AnomalyTracker {
  readonly options: HysteresisOptions;
  #smoothed: number | undefined;
  #aboveSince: number | undefined;
  #belowSince: number | undefined;
  #open: { eventId: string; openedAt: number; peak: number } | undefined;
  /** data time made monotonic: the hysteresis durations are measured on it */
  #clock = { last: undefined as number | undefined, mono: 0, step: 0 };

  constructor(options: HysteresisOptions) {
    if (!(options.alpha > 0 && options.alpha <= 1))
      throw new RangeError(`alpha must be in (0, 1], got ${options.alpha}`);
    if (!(options.openAfterMs >= 0) || !(options.closeAfterMs >= 0))
      throw new RangeError('openAfterMs and closeAfterMs must be >= 0');
    this.options = options;
  }

  get smoothed(): number | undefined {
    return this.#smoothed;
  }

  get openEvent(): string | undefined {
    return this.#open?.eventId;
  }

  /**
   * Feeds one window's score at time `at` (ms); returns the smoothed score and a transition, if any.
   * Durations are measured on a monotonic version of `at`, so a plant clock stepped back does not
   * hold an event shut (or open) until the clock has caught up again.
   */
  update(score: number, dataTime: number): { smoothed: number; transition?: AnomalyTransition } {
    const at = this.#monotonic(dataTime);
    const { alpha, threshold } = this.options;
    const s = this.#smoothed === undefined ? score : alpha * score + (1 - alpha) * this.#smoothed;
    this.#smoothed = s;
    if (s > threshold) {
      this.#belowSince = undefined;
      this.#aboveSince ??= at;
      if (this.#open) {
        this.#open.peak = Math.max(this.#open.peak, s);
        return { smoothed: s };
      }
      if (at - this.#aboveSince < this.options.openAfterMs) return { smoothed: s };
      this.#open = {
        eventId: `evt-${dataTime.toString(36)}-${randomBytes(3).toString('hex')}`,
        openedAt: dataTime,
        peak: s,
      };
      return {
        smoothed: s,
        transition: { state: 'open', eventId: this.#open.eventId, openedAt: dataTime, score: s, peakScore: s },
      };
    }
    this.#aboveSince = undefined;
    this.#belowSince ??= at;
    if (!this.#open || at - this.#belowSince < this.options.closeAfterMs) return { smoothed: s };
    const ev = this.#open;
    this.#open = undefined;
    return {
      smoothed: s,
      transition: {
        state: 'close',
        eventId: ev.eventId,
        openedAt: ev.openedAt,
        closedAt: dataTime,
        score: s,
        peakScore: ev.peak,
      },
    };
  }

  /** `at` on a clock that never runs backwards and counts a jump as one ordinary step. */
  #monotonic(at: number): number {
    const c = this.#clock;
    if (c.last !== undefined) {
      const step = at - c.last;
      if (step >= 0 && step <= (this.options.clockJumpMs ?? 60_000)) c.step = step;
      c.mono += c.step;
    }
    c.last = at;
    return c.mono;
  }
}
