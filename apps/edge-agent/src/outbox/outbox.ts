import type { Channel } from '@takt/contracts';

/** What a caller hands the outbox: the payload is built once the outbox has issued the `seq`. */
export interface OutboxDraft {
  topic: string;
  deviceId: string;
  channel: Channel;
  /** publish with the MQTT retain flag; default false */
  retain?: boolean;
  /** builds the payload for the issued seq */
  payload: (seq: number) => Uint8Array;
}

/** One queued message, waiting for its PUBACK. `id` orders the queue. */
export interface OutboxEntry {
  readonly id: number;
  readonly topic: string;
  readonly deviceId: string;
  readonly channel: Channel;
  readonly seq: number;
  readonly retain: boolean;
  readonly payload: Uint8Array;
}

export interface OutboxStats {
  /** entries waiting for a PUBACK */
  depth: number;
  /** payload + topic bytes of those entries */
  bytes: number;
  /** payload + topic bytes of the pending `evidence` entries (within `evidenceMaxBytes`) */
  evidenceBytes: number;
  /** entries dropped by the full-outbox policy, ever (persisted) */
  shed: number;
  /** the same, per channel (since this process started) */
  shedByChannel: Partial<Record<Channel, number>>;
  /** pending entries held in memory only because the disk refused their write */
  volatile: number;
  /** appends (batches) the disk refused since this process started: full disk, failed fsync */
  writeErrors: number;
}

export interface OutboxEvents {
  /** a new entry is durable and may be published */
  appended: (entry: OutboxEntry) => void;
  /** the full-outbox policy dropped an entry */
  shed: (entry: OutboxEntry) => void;
  /** the last pending entry was acknowledged */
  drained: () => void;
  /** an asynchronous fault: a disk write failed (`OUTBOX_WRITE_FAILED`; the entries are kept in memory) */
  error: (err: Error) => void;
}

/**
 * A durable queue of upstream messages (the MQTT.js store shape): entries are appended with a
 * per-(device, channel) `seq`, read in order, and removed only when their PUBACK arrives.
 */
export interface Outbox {
  /**
   * Issues the next seq, stores the entry; resolves once it is durable (and only then is it
   * readable) — or, when the disk refuses the write, held in memory only (`stats().volatile`).
   * A refused append (OUTBOX_FULL, OUTBOX_CLOSED) spends no seq.
   */
  append(draft: OutboxDraft): Promise<OutboxEntry>;
  /** Pending entries with `id > afterId`, oldest first, at most `limit`. */
  pending(afterId: number, limit: number): OutboxEntry[];
  /** The PUBACK for `id` arrived: the entry is gone for good. Unknown ids are ignored. */
  ack(id: number): void;
  stats(): OutboxStats;
  /** Flushes and releases files; later appends reject with OUTBOX_CLOSED. */
  close(): Promise<void>;
  on<K extends keyof OutboxEvents>(event: K, listener: OutboxEvents[K]): this;
  off<K extends keyof OutboxEvents>(event: K, listener: OutboxEvents[K]): this;
}

/**
 * Full-outbox policy: which channels may be shed, oldest first, in this order. Evidence (frames and
 * raw windows kept for training) goes first: it must never cost telemetry, events or inspections.
 * Anomaly events and inspection results are never shed; a newer retained `state` supersedes an older one.
 */
export const SHED_ORDER: readonly Channel[] = ['evidence', 'telemetry', 'heartbeat', 'features', 'state'];

export function isSheddable(channel: Channel): boolean {
  return SHED_ORDER.includes(channel);
}

export interface OutboxLimits {
  /** pending bytes above which sheddable entries are dropped, oldest first; default 64 MiB */
  maxBytes?: number;
  /** pending bytes above which even anomaly/inspection appends are refused (OUTBOX_FULL); default 4 × maxBytes */
  hardMaxBytes?: number;
  /**
   * pending bytes of `evidence` entries above which the oldest evidence is shed, whatever room the
   * outbox has left, so evidence can never fill it; default maxBytes / 8, at most maxBytes / 2
   */
  evidenceMaxBytes?: number;
}

/** Defaults of the outbox (the edge config's `outbox` defaults are these). */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SYNC_DELAY_MS = 2;
