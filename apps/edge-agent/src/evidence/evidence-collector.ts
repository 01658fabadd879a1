import { randomBytes } from 'node:crypto';
import {
  EVIDENCE_REASONS,
  MAX_PAYLOAD_BYTES,
  type CameraFrame,
  type DeviceAddress,
  type DeviceState,
  type EvidenceReason,
  type RawSampleBatch,
} from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { OutboxEntry } from '../outbox/outbox.js';
import type { MessageBody, UpstreamEmitter } from '../upstream/emitter.js';
import { EvidenceBudget } from './evidence-budget.js';
import type { EvidenceConfig } from './evidence-config.js';
import { assembleWindow, batchEnd, RawHistory } from './raw-window.js';

/**
 * What happened to a piece of evidence: handed to the outbox, over the device's budget, or dropped
 * by the outbox (its cap, a full outbox — or, before it, MAX_EVIDENCE_IN_FLIGHT pieces already waiting for it).
 */
export type EvidenceOutcome = 'queued' | 'rateLimited' | 'shed';

/** The vision model's verdict on a frame. */
export interface FrameVerdict {
  label: string;
  confidence: number;
  scores?: Record<string, number>;
  model: { name: string; version: number };
}

export interface EvidenceCollectorDeps {
  address: DeviceAddress;
  emitter: UpstreamEmitter;
  config: EvidenceConfig;
  logger: Logger;
  /** uniform in [0, 1): frame sampling and healthy-window timing; default Math.random (tests seed it) */
  random?: () => number;
  /** ms clock of the budget; default performance.now */
  now?: () => number;
  /** every counted piece (Prometheus) */
  onCount?: (reason: EvidenceReason, outcome: EvidenceOutcome) => void;
  onError: (err: Error) => void;
}

/** Pieces handed to the outbox and not yet accepted by it, past which new ones are shed (a disk far behind). */
export const MAX_EVIDENCE_IN_FLIGHT = 32;
/** Room left in an evidence message for the envelope and keys besides a window's values. */
const WINDOW_MARGIN_BYTES = 8 * 1024;
/** About the bytes of the envelope (schemaVersion, deviceId, ts, seq) in a message, and of the topic. */
const ENVELOPE_BYTES = 128;
/**
 * ms of raw data kept beyond `beforeMs`: an event's onset is the end of the K-means window that
 * opened it, which may lie a little behind the newest batch.
 */
const HISTORY_SLACK_MS = 2_000;
/** A batch starting this far before the newest data is a plant clock stepped back: windows start afresh. */
const CLOCK_BACK_MS = 1_000;

interface Collection {
  reason: 'anomaly' | 'healthy';
  eventId?: string;
  onset: number;
  from: number;
  to: number;
}

type Counts = NonNullable<DeviceState['evidence']>;

/**
 * One device's evidence for training CNNs: frames the vision model is unsure of and a sample of the
 * rest, the raw window around each anomaly event's onset and a healthy window now and then. Every
 * piece passes the device's byte budget and goes to the outbox on a later turn of the event loop,
 * never awaited by the caller: evidence never holds up telemetry, events or inspections.
 */
export class EvidenceCollector {
  readonly #d: EvidenceCollectorDeps;
  readonly #c: EvidenceConfig;
  readonly #random: () => number;
  readonly #budget: EvidenceBudget;
  readonly #history: RawHistory;
  readonly #inFlight = new Set<Promise<void>>();
  #collections: Collection[] = [];
  #eventOpen = false;
  #nextHealthy: number | undefined;
  #lastEnd: number | undefined;
  readonly #counts: Counts = { queued: {}, queuedBytes: 0, rateLimited: {}, shed: {} };

  constructor(deps: EvidenceCollectorDeps) {
    this.#d = deps;
    this.#c = deps.config;
    this.#random = deps.random ?? Math.random;
    this.#budget = new EvidenceBudget(deps.config.budget, deps.now);
    this.#history = new RawHistory(deps.config.windows.beforeMs + HISTORY_SLACK_MS);
  }

  /** A camera frame, with the vision model's verdict when one ran: kept when unsure, else sampled. */
  frame(frame: CameraFrame, verdict?: FrameVerdict): void {
    const f = this.#c.frames;
    const reason =
      verdict && verdict.confidence < f.uncertainBelow
        ? 'uncertain'
        : this.#random() < f.sampleRate
          ? 'sample'
          : undefined;
    if (!reason) return;
    const meta = { frameId: frame.frameId, width: frame.width, height: frame.height, encoding: frame.encoding };
    const body: MessageBody<'evidence'> = {
      ts: frame.ts,
      evidenceId: evidenceId('f', frame.ts),
      kind: 'frame',
      reason,
      frame: { ...meta, data: '' },
      ...(verdict
        ? {
            model: verdict.model,
            prediction: {
              label: verdict.label,
              confidence: verdict.confidence,
              ...(verdict.scores ? { scores: verdict.scores } : {}),
            },
          }
        : {}),
      ...(frame.truth ? { truth: frame.truth } : {}),
    };
    const bytes = JSON.stringify(body).length + frame.data.length + ENVELOPE_BYTES; // without copying the frame
    this.#send(reason, bytes, () => ({ ...body, frame: { ...meta, data: frame.data } }));
  }

  /** A raw batch of the device, in data order: kept for windows; completes the windows it reaches the end of. */
  raw(batch: RawSampleBatch): void {
    if (this.#lastEnd !== undefined && batch.t0 < this.#lastEnd - CLOCK_BACK_MS) this.#restart();
    const end = batchEnd(batch);
    this.#history.push(batch, Math.min(...this.#collections.map((c) => c.from)));
    this.#lastEnd = Math.max(this.#lastEnd ?? end, end);
    this.#healthyDue(this.#lastEnd);
    this.#complete(this.#lastEnd);
  }

  /** An anomaly event opened (its raw window is collected until `afterMs` past the onset) or closed. */
  anomaly(t: { state: 'open' | 'close'; eventId: string; openedAt: number }): void {
    if (t.state === 'close') {
      this.#eventOpen = false;
      return;
    }
    this.#eventOpen = true;
    this.#collections = this.#collections.filter((c) => c.reason !== 'healthy'); // not healthy after all
    const w = this.#c.windows;
    this.#collections.push({
      reason: 'anomaly',
      eventId: t.eventId,
      onset: t.openedAt,
      from: t.openedAt - w.beforeMs,
      to: t.openedAt + w.afterMs,
    });
    if (this.#lastEnd !== undefined) this.#complete(this.#lastEnd);
  }

  /** The outbox shed one of this device's evidence entries: counted by its reason. */
  shed(entry: OutboxEntry): void {
    const reason = reasonOf(entry.payload);
    if (reason) this.#count('shed', reason);
  }

  /** The device's anomaly tracker was replaced (a new model): an event it had open will never close. */
  eventsReset(): void {
    this.#eventOpen = false;
  }

  /** Counters for the device's state. */
  counts(): Counts {
    return {
      queued: { ...this.#counts.queued },
      queuedBytes: this.#counts.queuedBytes,
      rateLimited: { ...this.#counts.rateLimited },
      shed: { ...this.#counts.shed },
    };
  }

  /** Resolves once every piece handed over so far is in the outbox (or refused). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #healthyDue(now: number): void {
    const w = this.#c.windows;
    if (w.healthyEveryMs <= 0) return;
    if (this.#nextHealthy === undefined) {
      this.#nextHealthy = now + w.beforeMs + this.#random() * w.healthyEveryMs; // spread over the first interval
      return;
    }
    if (now < this.#nextHealthy) return;
    this.#nextHealthy = now + w.healthyEveryMs * (1 + w.healthyJitter * (2 * this.#random() - 1));
    if (this.#eventOpen || this.#collections.length > 0) return; // none while an event is open
    this.#collections.push({ reason: 'healthy', onset: now, from: now - w.beforeMs, to: now + w.afterMs });
  }

  #complete(now: number): void {
    const due = this.#collections.filter((c) => now >= c.to);
    if (due.length === 0) return;
    this.#collections = this.#collections.filter((c) => now < c.to);
    for (const c of due) this.#emitWindow(c);
  }

  /** Takes the window's batches now; joins and sends them on a later turn of the event loop, off the batch being processed. */
  #emitWindow(c: Collection): void {
    const batches = this.#history.between(c.from, c.to);
    this.#later(() => this.#sendWindow(c, batches));
  }

  #sendWindow(c: Collection, batches: RawSampleBatch[]): void {
    const w = assembleWindow(batches, c.onset, MAX_PAYLOAD_BYTES.evidence - WINDOW_MARGIN_BYTES);
    if (!w) return;
    if (w.cutAtGap || w.shortened) {
      this.#d.logger.info(
        {
          device: this.#d.address.device,
          reason: c.reason,
          eventId: c.eventId,
          t0: w.t0,
          durationMs: w.end - w.t0,
          cutAtGap: w.cutAtGap,
          shortened: w.shortened,
        },
        'evidence window cut short',
      );
    }
    const onsetInside = c.onset >= w.t0 && c.onset < w.end;
    this.#send(c.reason, w.bytes + ENVELOPE_BYTES + 256, () => ({
      ts: Math.round(c.onset),
      evidenceId: evidenceId('w', c.onset),
      kind: 'window',
      reason: c.reason,
      window: {
        t0: w.t0,
        sensors: w.sensors,
        ...(c.eventId ? { eventId: c.eventId } : {}),
        ...(onsetInside ? { onset: Math.round(c.onset) } : {}),
      },
    }));
  }

  /** Budget, then the outbox on a later turn of the event loop; never awaited by the caller. */
  #send(reason: EvidenceReason, bytes: number, build: () => MessageBody<'evidence'>): void {
    const keep = reason === 'sample' || reason === 'healthy' ? this.#c.budget.burstBytes / 2 : 0; // samples leave half the bucket to unsure frames and anomaly windows
    if (!this.#budget.take(bytes, keep)) return this.#count('rateLimited', reason);
    if (this.#inFlight.size >= MAX_EVIDENCE_IN_FLIGHT) return this.#count('shed', reason);
    this.#later(async () => {
      const entry = await this.#d.emitter.emit(this.#d.address, 'evidence', build());
      this.#count('queued', reason);
      this.#counts.queuedBytes += entry.payload.byteLength;
    });
  }

  /** Runs `work` on a later turn of the event loop, tracked for idle(); a failure goes to onError. */
  #later(work: () => Promise<void> | void): void {
    const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((err: Error) => this.#d.onError(err))
      .finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  #count(outcome: EvidenceOutcome, reason: EvidenceReason): void {
    const m = this.#counts[outcome];
    m[reason] = (m[reason] ?? 0) + 1;
    this.#d.onCount?.(reason, outcome);
  }

  /** The plant clock stepped back: what was held belongs to another time line. */
  #restart(): void {
    this.#history.clear();
    this.#collections = [];
    this.#nextHealthy = undefined;
    this.#lastEnd = undefined;
  }
}

function evidenceId(kind: 'f' | 'w', ts: number): string {
  return `ev-${kind}-${Math.round(ts).toString(36)}-${randomBytes(4).toString('hex')}`;
}

const REASON_KEY = Buffer.from('"reason":"');

/** The reason of an evidence payload, read without parsing a message of up to 1.5 MiB (no other key holds a quote). */
export function reasonOf(payload: Uint8Array): EvidenceReason | undefined {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const at = buf.indexOf(REASON_KEY);
  if (at < 0) return undefined;
  const start = at + REASON_KEY.length;
  const reason = buf.toString('utf8', start, buf.indexOf(0x22, start));
  return EVIDENCE_REASONS.find((r) => r === reason);
}
