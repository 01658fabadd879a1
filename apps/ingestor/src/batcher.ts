/** Points and the ack tokens of the messages they came from. */
export interface Batch {
  /** line-protocol points; a message may have several (batched telemetry) */
  lines: string[];
  /** one per message */
  tokens: number[];
}

export interface BatcherOptions {
  /** points per batch; a full batch is handed over at once */
  maxPoints: number;
  /** ms the first point of a batch may wait before the batch is handed over anyway */
  maxAgeMs: number;
  onBatch: (batch: Batch) => void;
}

/** Cuts the stream of points into batches by size and by age. */
export class Batcher {
  readonly #opts: BatcherOptions;
  #lines: string[] = [];
  #tokens: number[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: BatcherOptions) {
    this.#opts = opts;
  }

  /** Adds a message's points and its ack token; the batch may go over `maxPoints` by one message. */
  add(points: readonly string[], token: number): void {
    for (const p of points) this.#lines.push(p);
    this.#tokens.push(token);
    if (this.#lines.length >= this.#opts.maxPoints) this.flush();
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), this.#opts.maxAgeMs);
  }

  /** Hands over whatever is collected now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length === 0) return;
    const batch = { lines: this.#lines, tokens: this.#tokens };
    this.#lines = [];
    this.#tokens = [];
    this.#opts.onBatch(batch);
  }

  /** points collected so far */
  get size(): number {
    return this.#lines.length;
  }
}
