import type { Logger } from '@takt/runtime';
import { isStoreError, type StoreError } from '@takt/telemetry-store';
import type { Batch } from './batcher.js';
import type { DeadLetterFile } from './dead-letter.js';
import type { IngestorMetrics } from './metrics.js';
import { SpoolError, type DiskSpool, type SpoolSegment } from './spool.js';

export interface BatchWriterOptions {
  /** where points go: `TelemetryStore.writeLines` */
  write: (lines: readonly string[]) => Promise<void>;
  spool: DiskSpool;
  deadLetters: DeadLetterFile;
  metrics: IngestorMetrics;
  logger: Logger;
  /** called with the ack tokens of messages that are now safe (written, spooled or dead-lettered) */
  onSafe: (tokens: readonly number[]) => void;
  /** writes in flight at once */
  concurrency: number;
  /** points held in memory (pending + in flight) before pending batches spill to the spool */
  memoryPoints: number;
  /** ms of the first retry delay after a failed write; doubles per failure */
  retryMinMs: number;
  /** ms the retry delay never exceeds */
  retryMaxMs: number;
}

/**
 * Writes batches to InfluxDB with bounded concurrency. While InfluxDB is slow or down, batches wait
 * in memory (unacknowledged) up to `memoryPoints`; past that the oldest spill to the disk spool
 * (and are acknowledged). Failed writes retry with exponential backoff and jitter; the spool drains
 * oldest first, before newer batches in memory. A batch influxd refuses as malformed is bisected
 * until the bad points are found; those go to the dead-letter file, the rest are written.
 */
export class BatchWriter {
  readonly #o: BatchWriterOptions;
  readonly #pending: Batch[] = [];
  readonly #draining = new Set<SpoolSegment>();
  #memoryPoints = 0;
  #inflight = 0;
  #spilling = 0;
  #failures = 0;
  #retryAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #healthy = true;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: BatchWriterOptions) {
    this.#o = options;
  }

  get memoryPoints(): number {
    return this.#memoryPoints;
  }

  /** False from a failed write until the next successful one. */
  get healthy(): boolean {
    return this.#healthy;
  }

  submit(batch: Batch): void {
    this.#pending.push(batch);
    this.#memoryPoints += batch.lines.length;
    this.#spillOverflow(this.#o.memoryPoints);
    this.#pump();
  }

  /** Starts draining segments left in the spool by an earlier run. */
  start(): void {
    this.#pump();
  }

  /** Resolves when nothing is pending, in flight, spilling or spooled. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * For shutdown: gives pending writes `timeoutMs` to finish, then spills what is left to the spool
   * so every received message is safe, and stops.
   */
  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#pending.length > 0 && this.#healthy && Date.now() < deadline) await delay(20);
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#spillOverflow(0);
    while ((this.#inflight > 0 || this.#spilling > 0) && Date.now() < deadline + 5_000) await delay(10);
  }

  #isIdle(): boolean {
    return this.#pending.length === 0 && this.#inflight === 0 && this.#spilling === 0 && this.#o.spool.segments === 0;
  }

  #pump(): void {
    if (this.#closed) return;
    while (this.#inflight < this.#o.concurrency) {
      const wait = this.#retryAt - Date.now();
      if (wait > 0) {
        this.#retryTimer ??= setTimeout(() => {
          this.#retryTimer = undefined;
          this.#pump();
        }, wait);
        break;
      }
      const segment = this.#o.spool.list().find((s) => !this.#draining.has(s));
      if (segment) {
        void this.#drainSegment(segment);
        continue;
      }
      // newer batches wait until the spool (older points) has drained
      if (this.#o.spool.segments > 0 || this.#spilling > 0) break;
      const batch = this.#pending.shift();
      if (!batch) break;
      void this.#writeBatch(batch);
    }
    if (this.#isIdle()) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #writeBatch(batch: Batch): Promise<void> {
    this.#inflight++;
    try {
      await this.#writeOrIsolate(batch.lines);
      this.#memoryPoints -= batch.lines.length;
      this.#o.onSafe(batch.tokens);
    } catch (err) {
      this.#failed(err);
      this.#pending.unshift(batch);
      this.#spillOverflow(this.#o.memoryPoints);
    } finally {
      this.#inflight--;
      this.#pump();
    }
  }

  async #drainSegment(segment: SpoolSegment): Promise<void> {
    this.#inflight++;
    this.#draining.add(segment);
    try {
      const lines = await this.#o.spool.read(segment).catch(async (err: unknown) => {
        if (!(err instanceof SpoolError)) throw err;
        await this.#o.deadLetters.add({ reason: err.code, message: err.message });
        this.#o.metrics.deadLettered(err.code);
        return [];
      });
      await this.#writeOrIsolate(lines);
      await this.#o.spool.remove(segment);
    } catch (err) {
      this.#failed(err);
    } finally {
      this.#draining.delete(segment);
      this.#inflight--;
      this.#pump();
    }
  }

  /** Writes lines; on BAD_REQUEST bisects down to the refused points and dead-letters them. Throws when influxd is unavailable. */
  async #writeOrIsolate(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const started = performance.now();
    try {
      await this.#o.write(lines);
      this.#o.metrics.batchWritten(lines.length, performance.now() - started);
      this.#succeeded();
    } catch (err) {
      if (!isStoreError(err, 'BAD_REQUEST')) throw err;
      this.#o.metrics.writeFailed(err.code);
      if (lines.length === 1) {
        await this.#o.deadLetters.add({ reason: err.code, message: err.message, point: lines[0] });
        this.#o.metrics.deadLettered(err.code);
        return;
      }
      const mid = lines.length >> 1;
      await this.#writeOrIsolate(lines.slice(0, mid));
      await this.#writeOrIsolate(lines.slice(mid));
    }
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#healthy = true;
  }

  #failed(err: unknown): void {
    const code = isStoreError(err) ? (err as StoreError).code : 'ERROR';
    this.#o.metrics.writeFailed(code);
    if (this.#healthy) this.#o.logger.warn({ err, code }, 'InfluxDB write failed; buffering and retrying');
    this.#healthy = false;
    const base = Math.min(this.#o.retryMaxMs, this.#o.retryMinMs * 2 ** Math.min(this.#failures, 20));
    this.#failures++;
    this.#retryAt = Math.max(this.#retryAt, Date.now() + base * (0.5 + Math.random() * 0.5));
  }

  /** Spills the oldest pending batches to disk while memory holds more than `limit` points. */
  #spillOverflow(limit: number): void {
    while (this.#memoryPoints > limit && this.#pending.length > 0) {
      const batch = this.#pending.shift() as Batch;
      this.#memoryPoints -= batch.lines.length;
      this.#spilling++;
      this.#o.spool
        .append(batch.lines)
        .then(() => {
          this.#o.metrics.pointsSpooled += batch.lines.length;
          this.#o.onSafe(batch.tokens);
        })
        .catch((err: unknown) => {
          this.#o.logger.error({ err, dir: this.#o.spool.dir }, 'cannot spool to disk; keeping the batch in memory');
          this.#pending.unshift(batch);
          this.#memoryPoints += batch.lines.length;
        })
        .finally(() => {
          this.#spilling--;
          this.#pump();
        });
    }
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
