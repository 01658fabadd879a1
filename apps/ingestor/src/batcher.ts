/** Points and the ack tokens of the messages they came from. */
export interface Batch {
  lines: string[];
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

  add(line: string, token: number): void {
    this.#lines.push(line);
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

  get size(): number {
    return this.#lines.length;
  }
}
