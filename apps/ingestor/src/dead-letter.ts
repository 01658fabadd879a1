import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';

/** One refused message, as a line of the dead-letter file. */
export interface DeadLetter {
  /** ms since epoch the ingestor refused it */
  at: number;
  topic?: string;
  /** stable code: a `ContractError` or `StoreError` code */
  reason: string;
  message: string;
  /** the payload as UTF-8 text (first 64 KiB) */
  payload?: string;
  /** the line-protocol point influxd refused */
  point?: string;
}

const MAX_PAYLOAD_CHARS = 64 * 1024;

/**
 * Appends refused messages to a JSON-lines file. Entries added in the same tick share one write
 * and one fdatasync; `add` resolves once its entry is on disk, so the message can be acknowledged.
 */
export class DeadLetterFile {
  readonly file: string;
  #fh: Promise<FileHandle> | undefined;
  #queue: { line: string; resolve: () => void; reject: (err: Error) => void }[] = [];
  #flushing = false;
  #count = 0;

  constructor(file: string) {
    this.file = file;
  }

  /** Entries written so far (this process). */
  get count(): number {
    return this.#count;
  }

  add(entry: Omit<DeadLetter, 'at' | 'payload'> & { payload?: string | Buffer }): Promise<void> {
    const payload =
      entry.payload === undefined
        ? undefined
        : (typeof entry.payload === 'string' ? entry.payload : entry.payload.toString('utf8')).slice(
            0,
            MAX_PAYLOAD_CHARS,
          );
    const line = `${JSON.stringify({ at: Date.now(), ...entry, payload })}\n`;
    return new Promise((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      if (!this.#flushing) queueMicrotask(() => void this.#flush());
      this.#flushing = true;
    });
  }

  async close(): Promise<void> {
    while (this.#flushing) await new Promise((r) => setTimeout(r, 5));
    const fh = this.#fh;
    this.#fh = undefined;
    if (fh) await (await fh).close();
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const entries = this.#queue;
      this.#queue = [];
      try {
        this.#fh ??= (mkdirSync(dirname(this.file), { recursive: true }), open(this.file, 'a'));
        const fh = await this.#fh;
        await fh.appendFile(entries.map((e) => e.line).join(''));
        await fh.datasync();
        this.#count += entries.length;
        for (const e of entries) e.resolve();
      } catch (err) {
        for (const e of entries) e.reject(err as Error);
      }
    }
    this.#flushing = false;
  }
}
