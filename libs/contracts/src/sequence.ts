/** Issues the `seq` of each (device, channel): 0, 1, 2, … Restart from a persisted value with `seed`. */
export class SequenceCounter {
  readonly #next = new Map<string, number>();

  constructor(seed: Iterable<[string, number]> = []) {
    for (const [key, value] of seed) this.#next.set(key, value);
  }

  next(deviceId: string, channel: string): number {
    const key = `${deviceId}\u0000${channel}`;
    const seq = this.#next.get(key) ?? 0;
    this.#next.set(key, seq + 1);
    return seq;
  }

  /**
   * Takes back `seq` when it is the last one issued for the stream (a message refused before it
   * was stored), so no gap is left downstream; returns false, changing nothing, otherwise.
   */
  release(deviceId: string, channel: string, seq: number): boolean {
    const key = `${deviceId}\u0000${channel}`;
    if (this.#next.get(key) !== seq + 1) return false;
    this.#next.set(key, seq);
    return true;
  }

  /** The counters, for persisting: `[key, nextSeq]` pairs. */
  snapshot(): [string, number][] {
    return [...this.#next.entries()];
  }
}

export interface SeqReport {
  /** distinct seqs seen */
  received: number;
  duplicates: number;
  /** [from, to] inclusive ranges never seen between the lowest and highest seq */
  gaps: [number, number][];
  min: number;
  max: number;
}

/** Collects the seqs seen of one stream and reports gaps and duplicates. */
export class SeqTracker {
  readonly #seen = new Set<number>();
  #duplicates = 0;

  add(seq: number): void {
    if (this.#seen.has(seq)) this.#duplicates++;
    else this.#seen.add(seq);
  }

  report(): SeqReport {
    const sorted = [...this.#seen].sort((a, b) => a - b);
    const gaps: [number, number][] = [];
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as number;
      const cur = sorted[i] as number;
      if (cur > prev + 1) gaps.push([prev + 1, cur - 1]);
    }
    return {
      received: sorted.length,
      duplicates: this.#duplicates,
      gaps,
      min: sorted[0] ?? -1,
      max: sorted[sorted.length - 1] ?? -1,
    };
  }
}
