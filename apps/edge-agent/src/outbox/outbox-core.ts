import { SequenceCounter, type Channel } from '@takt/contracts';
import { EdgeError } from '../errors.js';
import { TypedEventEmitter } from '../typed-emitter.js';
import {
  DEFAULT_MAX_BYTES,
  SHED_ORDER,
  isSheddable,
  type Outbox,
  type OutboxDraft,
  type OutboxEntry,
  type OutboxEvents,
  type OutboxLimits,
  type OutboxStats,
} from './outbox.js';

export const entryBytes = (e: Pick<OutboxEntry, 'topic' | 'payload'>): number =>
  e.payload.byteLength + Buffer.byteLength(e.topic);

/** Where an implementation resumes from: counters, next id and the pending entries, oldest first. */
export interface OutboxRestore {
  counters: [string, number][];
  nextId: number;
  shed: number;
  entries: OutboxEntry[];
}

/**
 * The queue logic both outboxes share: ids, seq counters, order, the full-outbox policy and stats.
 * Subclasses make entries and removals durable.
 */
export abstract class OutboxCore extends TypedEventEmitter<OutboxEvents> implements Outbox {
  readonly #entries = new Map<number, OutboxEntry>();
  /** ids in append order; removed ids are skipped lazily */
  #order: number[] = [];
  #orderHead = 0;
  #counter: SequenceCounter;
  #nextId: number;
  #bytes = 0;
  #evidenceBytes = 0;
  #shed: number;
  readonly #shedByChannel: Partial<Record<Channel, number>> = {};
  readonly #maxBytes: number;
  readonly #hardMaxBytes: number;
  readonly #evidenceMaxBytes: number;
  protected closed = false;
  /** batches the disk refused, ever (since this process started) */
  protected writeErrors = 0;
  /** pending entries held in memory only: their write failed */
  readonly #volatile = new Set<number>();

  protected constructor(limits: OutboxLimits, restore: OutboxRestore) {
    super();
    this.#maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#hardMaxBytes = limits.hardMaxBytes ?? 4 * this.#maxBytes;
    this.#evidenceMaxBytes = Math.min(limits.evidenceMaxBytes ?? this.#maxBytes / 8, this.#maxBytes / 2);
    this.#counter = new SequenceCounter(restore.counters);
    this.#nextId = restore.nextId;
    this.#shed = restore.shed;
    for (const e of restore.entries) this.#insert(e);
  }

  /**
   * Makes a new entry durable; resolves false when the write failed and the entry is to be held
   * in memory only (it is still published; only a crash before its PUBACK loses it).
   */
  protected abstract persistEntry(entry: OutboxEntry, again?: boolean): Promise<boolean>;
  /** Records (lazily) that entries left the queue; shed entries may never have been persisted. */
  protected abstract persistRemoval(entries: OutboxEntry[], kind: 'ack' | 'shed'): void;

  async append(draft: OutboxDraft): Promise<OutboxEntry> {
    if (this.closed) throw new EdgeError('OUTBOX_CLOSED', 'outbox is closed');
    const seq = this.#counter.next(draft.deviceId, draft.channel);
    const entry: OutboxEntry = {
      id: this.#nextId++,
      topic: draft.topic,
      deviceId: draft.deviceId,
      channel: draft.channel,
      seq,
      retain: draft.retain ?? false,
      payload: draft.payload(seq),
    };
    let durable: boolean;
    try {
      if (!this.#makeRoom(entry)) return entry;
      durable = await this.persistEntry(entry);
    } catch (err) {
      this.#counter.release(entry.deviceId, entry.channel, seq); // refused before it was stored: no gap downstream
      throw err;
    }
    this.#insert(entry);
    if (!durable) this.#volatile.add(entry.id);
    else if (this.#volatile.size > 0) this.#persistVolatile();
    this.emit('appended', entry);
    return entry;
  }

  /** The disk takes writes again: entries held in memory only are written now (recovery orders them by id). */
  #persistVolatile(): void {
    const entries = [...this.#volatile].flatMap((id) => this.#entries.get(id) ?? []);
    this.#volatile.clear();
    for (const e of entries) {
      this.persistEntry(e, true).then(
        (durable) => void (!durable && this.#entries.has(e.id) && this.#volatile.add(e.id)),
        () => undefined, // closed meanwhile
      );
    }
  }

  /** Emits an asynchronous fault as `'error'` when someone listens (an unheard 'error' would throw). */
  protected reportFault(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** Whether `id` is still waiting for its PUBACK. */
  protected isPending(id: number): boolean {
    return this.#entries.has(id);
  }

  pending(afterId: number, limit: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    let lo = this.#orderHead;
    let hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#order[mid] as number) <= afterId) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#order.length && out.length < limit; i++) {
      const e = this.#entries.get(this.#order[i] as number);
      if (e) out.push(e);
    }
    return out;
  }

  ack(id: number): void {
    const e = this.#entries.get(id);
    if (!e) return;
    this.#remove(id);
    this.persistRemoval([e], 'ack');
    if (this.#entries.size === 0) this.emit('drained');
  }

  stats(): OutboxStats {
    return {
      depth: this.#entries.size,
      bytes: this.#bytes,
      evidenceBytes: this.#evidenceBytes,
      shed: this.#shed,
      shedByChannel: { ...this.#shedByChannel },
      volatile: this.#volatile.size,
      writeErrors: this.writeErrors,
    };
  }

  /** The seq counters, for persisting. */
  protected counterSnapshot(): [string, number][] {
    return this.#counter.snapshot();
  }

  protected get nextId(): number {
    return this.#nextId;
  }

  abstract close(): Promise<void>;

  /** Applies the full-outbox policy; false when the new entry itself was shed. */
  #makeRoom(entry: OutboxEntry): boolean {
    const need = entryBytes(entry);
    if (entry.channel === 'evidence' && !this.#makeEvidenceRoom(entry, need)) return false;
    if (this.#bytes + need <= this.#maxBytes) return true;
    const victims: number[] = [];
    let freed = 0;
    for (const channel of SHED_ORDER) {
      for (let i = this.#orderHead; i < this.#order.length && this.#bytes - freed + need > this.#maxBytes; i++) {
        const e = this.#entries.get(this.#order[i] as number);
        if (!e || e.channel !== channel) continue;
        victims.push(e.id);
        freed += entryBytes(e);
      }
    }
    if (this.#bytes - freed + need > this.#maxBytes && isSheddable(entry.channel)) {
      this.#countShed(entry);
      this.persistRemoval([entry], 'shed');
      return false;
    }
    const shed = victims.map((id) => this.#entries.get(id) as OutboxEntry);
    for (const e of shed) {
      this.#remove(e.id);
      this.#countShed(e);
    }
    if (shed.length > 0) this.persistRemoval(shed, 'shed');
    if (this.#bytes + need > this.#hardMaxBytes) {
      throw new EdgeError(
        'OUTBOX_FULL',
        `outbox holds ${this.#bytes} bytes of entries that are never shed; ${entry.channel} entry refused (hard limit ${this.#hardMaxBytes})`,
      );
    }
    return true;
  }

  /** Evidence has its own cap: the oldest evidence is shed for a new piece; one larger than the whole cap is shed itself. */
  #makeEvidenceRoom(entry: OutboxEntry, need: number): boolean {
    if (need > this.#evidenceMaxBytes) {
      this.#countShed(entry);
      this.persistRemoval([entry], 'shed');
      return false;
    }
    const shed: OutboxEntry[] = [];
    let freed = 0;
    for (
      let i = this.#orderHead;
      i < this.#order.length && this.#evidenceBytes - freed + need > this.#evidenceMaxBytes;
      i++
    ) {
      const e = this.#entries.get(this.#order[i] as number);
      if (!e || e.channel !== 'evidence') continue;
      shed.push(e);
      freed += entryBytes(e);
    }
    for (const e of shed) {
      this.#remove(e.id);
      this.#countShed(e);
    }
    if (shed.length > 0) this.persistRemoval(shed, 'shed');
    return true;
  }

  #countShed(e: OutboxEntry): void {
    this.#shed++;
    this.#shedByChannel[e.channel] = (this.#shedByChannel[e.channel] ?? 0) + 1;
    this.emit('shed', e);
  }

  #insert(e: OutboxEntry): void {
    this.#entries.set(e.id, e);
    this.#order.push(e.id);
    this.#bytes += entryBytes(e);
    if (e.channel === 'evidence') this.#evidenceBytes += entryBytes(e);
  }

  #remove(id: number): boolean {
    const e = this.#entries.get(id);
    if (!e) return false;
    this.#entries.delete(id);
    this.#volatile.delete(id);
    this.#bytes -= entryBytes(e);
    if (e.channel === 'evidence') this.#evidenceBytes -= entryBytes(e);
    while (this.#orderHead < this.#order.length && !this.#entries.has(this.#order[this.#orderHead] as number))
      this.#orderHead++;
    if (this.#orderHead > 1024 && this.#orderHead * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#orderHead);
      this.#orderHead = 0;
    }
    return true;
  }
}
