import type { BlobStore } from '@takt/evidence-store';
import type { Logger } from '@takt/runtime';

const DAY_MS = 86_400_000;

export interface EvidenceSweeperOptions {
  blobs: BlobStore;
  /** blobs older than this many days are deleted */
  retentionDays: number;
  logger: Logger;
  /** ms between sweeps; default 3_600_000 (1 h); the first runs at once */
  everyMs?: number;
}

/**
 * Deletes evidence blobs older than the retention, at start and then every `everyMs`, and logs how many
 * went. (Their metadata expires with the InfluxDB retention policy `evidence` of the same length.)
 */
export class EvidenceSweeper {
  readonly #o: Required<EvidenceSweeperOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  /** blobs deleted since start */
  swept = 0;

  constructor(o: EvidenceSweeperOptions) {
    this.#o = { everyMs: 3_600_000, ...o };
  }

  start(): void {
    const tick = () => {
      void this.sweep().finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, this.#o.everyMs).unref();
      });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /** One sweep now (waits for one already running); resolves with the blobs it deleted, 0 after a logged failure. */
  sweep(now = Date.now()): Promise<number> {
    this.#running ??= this.#o.blobs
      .sweep(now - this.#o.retentionDays * DAY_MS)
      .then((n) => {
        this.swept += n;
        this.#o.logger.info(
          { deleted: n, retentionDays: this.#o.retentionDays },
          'evidence sweep: blobs past retention deleted',
        );
        return n;
      })
      .catch((err: unknown) => {
        this.#o.logger.error({ err }, 'evidence sweep failed');
        return 0;
      })
      .finally(() => (this.#running = undefined));
    return this.#running;
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
