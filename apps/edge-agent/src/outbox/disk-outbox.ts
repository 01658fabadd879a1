import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError } from '../errors.js';
import { recover, segName, syncDir, type DiskRestore, type Meta, type Segment } from './disk-recovery.js';
import { OutboxCore } from './outbox-core.js';
import { DEFAULT_SEGMENT_BYTES, DEFAULT_SYNC_DELAY_MS, type OutboxEntry, type OutboxLimits } from './outbox.js';
import { nodeSegmentFs, SegmentAppender, type SegmentFs } from './segment-appender.js';
import { encodeEntry, encodeRemoval, REC_ACK, REC_SHED } from './segment-log.js';

export interface DiskOutboxOptions extends OutboxLimits {
  /** folder for the segment files and `meta.json`; created when missing */
  dir: string;
  /** start a new segment file once the current one passes this many bytes; default 4 MiB */
  segmentBytes?: number;
  /** ms an append waits so later appends share its fsync (group commit); default 2 */
  syncDelayMs?: number;
  /** fdatasync after every batch; default true (false only for benchmarks of the write path) */
  fsync?: boolean;
  /** how segment files are opened; default node:fs (tests inject a full disk or a failing fsync) */
  fs?: SegmentFs;
}

interface Waiter {
  entry?: OutboxEntry;
  /** a volatile entry written again (already in the queue, perhaps acknowledged since) */
  again?: boolean;
  /** `durable`: false when the write failed and the entry is held in memory only */
  resolve: (durable: boolean) => void;
}

/**
 * The on-disk outbox: append-only segment files of length+CRC framed records (entries, acks,
 * sheds), fsynced in batches; a torn last record is dropped on open; whole segments are deleted
 * oldest-first once every entry in them is acknowledged. Seq counters live in the log and in
 * `meta.json`, so seqs continue across restarts and never repeat.
 *
 * When the disk refuses a write (full, failing fsync) the batch's entries stay queued in memory
 * and are published like the rest — no seq is lost — and the fault is emitted as `'error'`
 * (`OUTBOX_WRITE_FAILED`) and counted in `stats()`; the partial tail is cut off (or, when that
 * fails, the log continues in a new segment file) before anything else is written.
 */
export class DiskOutbox extends OutboxCore {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #syncDelayMs: number;
  readonly #fsync: boolean;
  readonly #fs: SegmentFs;
  readonly #segments: Segment[];
  readonly #entrySegment = new Map<number, Segment>();
  #file: SegmentAppender;
  #queue: Buffer[] = [];
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #metaShed: number;
  #shedPending = 0;

  private constructor(opts: DiskOutboxOptions, restore: DiskRestore, file: SegmentAppender) {
    super(opts, restore);
    this.#dir = opts.dir;
    this.#segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#syncDelayMs = opts.syncDelayMs ?? DEFAULT_SYNC_DELAY_MS;
    this.#fsync = opts.fsync ?? true;
    this.#fs = opts.fs ?? nodeSegmentFs;
    this.#segments = restore.segments;
    this.#entrySegment = restore.entrySegment;
    this.#metaShed = restore.metaShed;
    this.#file = file;
  }

  /** Opens (or creates) the outbox in `opts.dir`, replaying its log. */
  static async open(opts: DiskOutboxOptions): Promise<DiskOutbox> {
    await mkdir(opts.dir, { recursive: true });
    const restore = await recover(opts.dir);
    let last = restore.segments[restore.segments.length - 1];
    if (!last) {
      last = { index: 1, path: join(opts.dir, segName(1)), live: 0, shedRecords: 0 };
      restore.segments.push(last);
    }
    const file = await SegmentAppender.open(opts.fs ?? nodeSegmentFs, last.path, opts.fsync ?? true);
    await syncDir(opts.dir);
    return new DiskOutbox(opts, restore, file);
  }

  /** `again`: an entry held in memory after a failed write, written now; it may have been acknowledged meanwhile. */
  protected persistEntry(entry: OutboxEntry, again = false): Promise<boolean> {
    return this.#enqueue(encodeEntry(entry), { entry, again });
  }

  protected persistRemoval(entries: OutboxEntry[], kind: 'ack' | 'shed'): void {
    for (const e of entries) {
      const seg = this.#entrySegment.get(e.id);
      if (seg) {
        seg.live--;
        this.#entrySegment.delete(e.id);
      }
    }
    // a lost removal record only means a redelivery after a restart (QoS 1 allows duplicates)
    this.#enqueue(
      encodeRemoval(kind === 'ack' ? REC_ACK : REC_SHED, entries),
      {},
      kind === 'shed' ? entries.length : 0,
    ).catch(() => undefined);
  }

  #enqueue(buf: Buffer, what: Omit<Waiter, 'resolve'>, shed = 0): Promise<boolean> {
    if (this.closed) return Promise.reject(new EdgeError('OUTBOX_CLOSED', 'outbox is closed'));
    this.#shedPending += shed;
    return new Promise<boolean>((resolve) => {
      this.#queue.push(buf);
      this.#waiters.push({ ...what, resolve });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (!this.#timer && !this.#flushing) this.#timer = setTimeout(() => void this.#flush(), this.#syncDelayMs);
  }

  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing ??= this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) this.#schedule(); // queued by a waiter's continuation after the loop's last look
    });
    return this.#flushing;
  }

  async #flushLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      const bufs = this.#queue;
      const waiters = this.#waiters;
      const shed = this.#shedPending;
      this.#queue = [];
      this.#waiters = [];
      this.#shedPending = 0;
      const seg = this.#segments[this.#segments.length - 1] as Segment;
      const durable = await this.#write(bufs, waiters);
      if (durable) seg.shedRecords += shed;
      for (const w of waiters) {
        if (durable && w.entry && (!w.again || this.isPending(w.entry.id))) {
          seg.live++;
          this.#entrySegment.set(w.entry.id, seg);
        }
        w.resolve(durable);
      }
      if (durable) await this.#maintain().catch((err: Error) => this.reportFault(err));
    }
  }

  /** Appends one batch; false when the disk refused it (reported, the file's tail repaired). */
  async #write(bufs: Buffer[], waiters: Waiter[]): Promise<boolean> {
    try {
      await this.#file.append(bufs);
      return true;
    } catch (err) {
      this.writeErrors++;
      const kept = waiters.filter((w) => w.entry).length;
      this.reportFault(
        new EdgeError(
          'OUTBOX_WRITE_FAILED',
          `outbox write to ${this.#file.path} failed (${(err as Error).message}); ${kept} entries held in memory only`,
          { cause: err },
        ),
      );
      await this.#repair().catch(() => undefined); // tried again before the next write
      return false;
    }
  }

  /** Cuts a failed append's tail off; when even that fails, continues in a new segment file. */
  async #repair(): Promise<void> {
    try {
      await this.#file.cutBack();
    } catch {
      await this.#roll(); // the old file's torn tail is past its last durable record: dropped at the next open
    }
  }

  /** Continues the log in a new segment file (opened before the current one is let go). */
  async #roll(): Promise<void> {
    const cur = this.#segments[this.#segments.length - 1] as Segment;
    const next: Segment = {
      index: cur.index + 1,
      path: join(this.#dir, segName(cur.index + 1)),
      live: 0,
      shedRecords: 0,
    };
    const file = await SegmentAppender.open(this.#fs, next.path, this.#fsync);
    await this.#file.close().catch(() => undefined);
    this.#file = file;
    this.#segments.push(next);
    await syncDir(this.#dir);
  }

  /** Rolls to a new segment when the current one is full; deletes acknowledged segments, oldest first. */
  async #maintain(): Promise<void> {
    if (this.#file.bytes >= this.#segmentBytes) await this.#roll();
    let changed = false;
    while (this.#segments.length > 1 && (this.#segments[0] as Segment).live === 0) {
      const seg = this.#segments.shift() as Segment;
      this.#metaShed += seg.shedRecords;
      if (!changed) await this.#writeMeta(); // counters first: the deleted file's seqs must stay issued
      changed = true;
      await rm(seg.path, { force: true });
    }
    if (changed) {
      await this.#writeMeta();
      await syncDir(this.#dir);
    }
  }

  async #writeMeta(): Promise<void> {
    const meta: Meta = { nextId: this.nextId, counters: this.counterSnapshot(), shed: this.#metaShed };
    const tmp = join(this.#dir, 'meta.json.tmp');
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(meta));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.#dir, 'meta.json'));
  }

  /** Segment files on disk (for tests and metrics). */
  segmentCount(): number {
    return this.#segments.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.#queue.length > 0 || this.#flushing) await this.#flush();
    this.closed = true;
    await this.#file.close();
  }
}
