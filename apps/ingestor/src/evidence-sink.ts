import { CodedError, type DecodedPublish } from '@takt/contracts';
import { frameBlob, isEvidenceStoreError, windowBlob, type BlobStore } from '@takt/evidence-store';
import type { Logger } from '@takt/runtime';
import { evidenceInputOf, evidenceLine } from '@takt/telemetry-store';
import type { IngestorMetrics } from './metrics.js';

/** Why an evidence message was not stored; `code` is the dead-letter reason. */
export class EvidenceRefusal extends CodedError<'EVIDENCE_NOT_CONFIGURED' | 'BAD_IMAGE' | 'BLOB_WRITE_FAILED'> {
  override readonly name = 'EvidenceRefusal';
  constructor(
    code: 'EVIDENCE_NOT_CONFIGURED' | 'BAD_IMAGE' | 'BLOB_WRITE_FAILED',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

export interface EvidenceSinkOptions {
  /** where blobs go; undefined when the ingestor has no `evidence.dir`: every evidence message is refused */
  blobs: BlobStore | undefined;
  /** the evidence point of a message whose blob is stored, with the message's ack token */
  onStored: (points: string[], token: number) => void;
  /** a message that cannot be stored: dead-letter it (topic and payload as received) */
  onRefused: (err: EvidenceRefusal, topic: string, payload: Buffer, token: number) => void;
  metrics: IngestorMetrics;
  logger: Logger;
  /** tries to store one blob before the message is refused as BLOB_WRITE_FAILED */
  attempts: number;
  /** ms before the first retry; doubles per try up to `retryMaxMs` */
  retryMinMs: number;
  retryMaxMs: number;
  /** bytes of evidence one device may store (token bucket); absent: no limit */
  perDevice?: { bytesPerSecond: number; burstBytes: number };
  /** ms since epoch, for the budget (tests) */
  now?: () => number;
}

/** One device's evidence budget: `burstBytes` at once, refilled at `bytesPerSecond`. */
class Budget {
  #tokens: number;
  #at: number;
  constructor(
    private readonly limit: { bytesPerSecond: number; burstBytes: number },
    now: number,
  ) {
    this.#tokens = limit.burstBytes;
    this.#at = now;
  }
  take(bytes: number, now: number): boolean {
    this.#tokens = Math.min(
      this.limit.burstBytes,
      this.#tokens + ((now - this.#at) / 1000) * this.limit.bytesPerSecond,
    );
    this.#at = now;
    if (bytes > this.#tokens) return false;
    this.#tokens -= bytes;
    return true;
  }
}

/**
 * The evidence path of the ingestor: the blob first (a frame as PNG, a window as JSON), then the
 * metadata point. Each message is stored on its own promise, so a slow or failing disk never holds up
 * the telemetry batches; a blob that cannot be written is retried with backoff, then refused (and
 * dead-lettered by the caller). Until then the message stays unacknowledged.
 */
export class EvidenceSink {
  readonly #o: EvidenceSinkOptions;
  readonly #inflight = new Set<Promise<void>>();
  readonly #budgets = new Map<string, Budget>();
  #unconfiguredLogged = 0;

  constructor(options: EvidenceSinkOptions) {
    this.#o = options;
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  /** Stores a decoded `evidence` publish in the background; `topic` and `payload` are kept for the dead-letter file. */
  accept(p: DecodedPublish<'evidence'>, token: number, topic: string, payload: Buffer): void {
    if (!this.#withinBudget(p.topic.device, payload.byteLength)) {
      this.#o.onStored([], token); // acknowledged and dropped: a box over its budget cannot fill this disk
      return;
    }
    const job = this.#store(p, token).catch((err: unknown) => {
      const refusal =
        err instanceof EvidenceRefusal
          ? err
          : new EvidenceRefusal('BLOB_WRITE_FAILED', (err as Error).message, { cause: err });
      this.#o.onRefused(refusal, topic, payload, token);
    });
    this.#inflight.add(job);
    void job.finally(() => this.#inflight.delete(job));
  }

  /** False (counted, logged now and then) when the device has stored more evidence than its budget allows. */
  #withinBudget(device: string, bytes: number): boolean {
    const limit = this.#o.perDevice;
    if (!limit) return true;
    const now = (this.#o.now ?? Date.now)();
    let budget = this.#budgets.get(device);
    if (!budget) this.#budgets.set(device, (budget = new Budget(limit, now)));
    if (budget.take(bytes, now)) return true;
    if (this.#o.metrics.evidenceDropped++ % 100 === 0) {
      this.#o.logger.warn(
        { device, dropped: this.#o.metrics.evidenceDropped, limit },
        'evidence over the device budget dropped (evidence.perDevice): an edge box sending more than it should',
      );
    }
    return false;
  }

  /** Resolves when every accepted message is stored or refused (or after `timeoutMs`). */
  async idle(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inflight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.#inflight]),
        new Promise((r) => setTimeout(r, Math.max(1, Math.min(1_000, deadline - Date.now())))),
      ]);
    }
  }

  async #store(p: DecodedPublish<'evidence'>, token: number): Promise<void> {
    const m = p.message;
    const blobs = this.#o.blobs;
    if (!blobs) {
      if (this.#unconfiguredLogged++ % 100 === 0) {
        this.#o.logger.error(
          { device: p.topic.device, refused: this.#unconfiguredLogged },
          'evidence received but this ingestor has no evidence.dir; dead-lettering it (set evidence.dir to store it)',
        );
      }
      throw new EvidenceRefusal('EVIDENCE_NOT_CONFIGURED', 'this ingestor has no evidence.dir: evidence is not stored');
    }
    let bytes: Buffer;
    try {
      bytes = m.frame ? frameBlob(m.frame) : windowBlob(m.window as NonNullable<typeof m.window>);
    } catch (err) {
      if (isEvidenceStoreError(err, 'BAD_IMAGE'))
        throw new EvidenceRefusal('BAD_IMAGE', `evidence ${m.evidenceId}: ${err.message}`, { cause: err });
      throw err;
    }
    const blob = await this.#put(blobs, bytes, m.evidenceId);
    this.#o.metrics.evidenceBlobsStored++;
    this.#o.onStored([evidenceLine(evidenceInputOf(p, blob))], token);
  }

  async #put(blobs: BlobStore, bytes: Buffer, evidenceId: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await blobs.put(bytes);
      } catch (err) {
        this.#o.metrics.evidenceBlobFailures++;
        if (attempt >= this.#o.attempts) {
          this.#o.logger.error(
            { err, evidenceId, attempts: attempt },
            'cannot store an evidence blob; dead-lettering the message',
          );
          throw new EvidenceRefusal(
            'BLOB_WRITE_FAILED',
            `evidence ${evidenceId}: blob not stored after ${attempt} attempts: ${(err as Error).message}`,
            { cause: err },
          );
        }
        if (attempt === 1) this.#o.logger.warn({ err, evidenceId }, 'evidence blob write failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(this.#o.retryMaxMs, this.#o.retryMinMs * 2 ** (attempt - 1))));
      }
    }
  }
}
