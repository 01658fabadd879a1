import { mkdir, open, readdir, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@takt/runtime';
import { EdgeError } from '../errors.js';
import { OutboxCore, type OutboxRestore } from './outbox-core.js';
import type { OutboxEntry, OutboxLimits } from './outbox.js';
import { encodeEntry, encodeRemoval, readSegment, REC_ENTRY, REC_SHED, type LogRecord } from './segment-log.js';

const log = createLogger('edge-outbox');

export interface DiskOutboxOptions extends OutboxLimits {
  /** folder for the segment files and `meta.json`; created when missing */
  dir: string;
  /** start a new segment file once the current one passes this many bytes; default 4 MiB */
  segmentBytes?: number;
  /** ms an append waits so later appends share its fsync (group commit); default 2 */
  syncDelayMs?: number;
  /** fdatasync after every batch; default true (false only for benchmarks of the write path) */
  fsync?: boolean;
}

interface Segment {
  index: number;
  path: string;
  /** entries written here and still pending */
  live: number;
  /** shed refs recorded here, counted into meta.shed when the file is deleted */
  shedRecords: number;
}

interface Meta {
  nextId: number;
  counters: [string, number][];
  /** shed entries recorded in segment files already deleted */
  shed: number;
}

const segName = (i: number) => `seg-${String(i).padStart(10, '0')}.log`;
const SEG_RE = /^seg-(\d{10})\.log$/;

/**
 * The on-disk outbox: append-only segment files of length+CRC framed records (entries, acks,
 * sheds), fsynced in batches; a torn last record is dropped on open; whole segments are deleted
 * oldest-first once every entry in them is acknowledged. Seq counters live in the log and in
 * `meta.json`, so seqs continue across restarts and never repeat.
 */
export class DiskOutbox extends OutboxCore {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #syncDelayMs: number;
  readonly #fsync: boolean;
  readonly #segments: Segment[];
  readonly #entrySegment = new Map<number, Segment>();
  #file: FileHandle;
  #fileBytes: number;
  #queue: Buffer[] = [];
  #waiters: { entry?: OutboxEntry; resolve: () => void; reject: (e: Error) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #metaShed: number;

  private constructor(opts: DiskOutboxOptions, restore: OutboxRestore & { segments: Segment[]; entrySegment: Map<number, Segment>; metaShed: number }, file: FileHandle, fileBytes: number) {
    super(opts, restore);
    this.#dir = opts.dir;
    this.#segmentBytes = opts.segmentBytes ?? 4 * 1024 * 1024;
    this.#syncDelayMs = opts.syncDelayMs ?? 2;
    this.#fsync = opts.fsync ?? true;
    this.#segments = restore.segments;
    this.#entrySegment = restore.entrySegment;
    this.#metaShed = restore.metaShed;
    this.#file = file;
    this.#fileBytes = fileBytes;
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
    const file = await open(last.path, 'a');
    const { size } = await file.stat();
    await syncDir(opts.dir);
    return new DiskOutbox(opts, restore, file, size);
  }

  protected persistEntry(entry: OutboxEntry): Promise<void> {
    return this.#enqueue(encodeEntry(entry), entry);
  }

  protected persistRemoval(entries: OutboxEntry[], kind: 'ack' | 'shed'): void {
    for (const e of entries) {
      const seg = this.#entrySegment.get(e.id);
      if (seg) {
        seg.live--;
        this.#entrySegment.delete(e.id);
      }
    }
    this.#enqueue(encodeRemoval(kind === 'ack' ? 2 : REC_SHED, entries), undefined, kind === 'shed' ? entries.length : 0).catch((err: Error) => this.emit('error', err));
  }

  #shedPending = 0;

  #enqueue(buf: Buffer, entry?: OutboxEntry, shed = 0): Promise<void> {
    if (this.closed) return Promise.reject(new EdgeError('OUTBOX_CLOSED', 'outbox is closed'));
    this.#shedPending += shed;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push(buf);
      this.#waiters.push({ entry, resolve, reject });
      if (!this.#timer && !this.#flushing) this.#timer = setTimeout(() => void this.#flush(), this.#syncDelayMs);
    });
  }

  #flush(): Promise<void> {
    this.#timer = undefined;
    this.#flushing ??= this.#flushLoop().finally(() => (this.#flushing = undefined));
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
      try {
        await this.#file.writev(bufs);
        if (this.#fsync) await this.#file.datasync();
      } catch (err) {
        const e = new EdgeError('OUTBOX_CORRUPT', `outbox write to ${seg.path} failed: ${(err as Error).message}`, { cause: err });
        for (const w of waiters) w.reject(e);
        continue;
      }
      this.#fileBytes += bufs.reduce((n, b) => n + b.length, 0);
      seg.shedRecords += shed;
      for (const w of waiters) {
        if (w.entry) {
          seg.live++;
          this.#entrySegment.set(w.entry.id, seg);
        }
        w.resolve();
      }
      await this.#maintain().catch((err: Error) => this.emit('error', err));
    }
  }

  /** Rolls to a new segment when the current one is full; deletes acknowledged segments, oldest first. */
  async #maintain(): Promise<void> {
    if (this.#fileBytes >= this.#segmentBytes) {
      const cur = this.#segments[this.#segments.length - 1] as Segment;
      const next: Segment = { index: cur.index + 1, path: join(this.#dir, segName(cur.index + 1)), live: 0, shedRecords: 0 };
      await this.#file.close();
      this.#file = await open(next.path, 'a');
      this.#fileBytes = 0;
      this.#segments.push(next);
      await syncDir(this.#dir);
    }
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
    clearTimeout(this.#timer);
    await this.#flush();
    this.closed = true;
    await this.#file.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on a directory; the data files are synced regardless
  } finally {
    await fh.close();
  }
}

async function readMeta(dir: string): Promise<Meta> {
  try {
    return JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Meta;
  } catch {
    return { nextId: 1, counters: [], shed: 0 };
  }
}

/** Replays every segment: pending entries, seq counters, next id and the shed count. */
async function recover(dir: string): Promise<OutboxRestore & { segments: Segment[]; entrySegment: Map<number, Segment>; metaShed: number }> {
  const meta = await readMeta(dir);
  const files = (await readdir(dir)).filter((f) => SEG_RE.test(f)).sort();
  const counters = new Map(meta.counters);
  const bump = (deviceId: string, channel: string, seq: number) => {
    const key = `${deviceId}\u0000${channel}`;
    counters.set(key, Math.max(counters.get(key) ?? 0, seq + 1));
  };
  const entries = new Map<number, OutboxEntry>();
  const entrySegment = new Map<number, Segment>();
  const segments: Segment[] = [];
  let nextId = meta.nextId;
  let shed = meta.shed;
  for (const f of files) {
    const seg: Segment = { index: Number(SEG_RE.exec(f)?.[1]), path: join(dir, f), live: 0, shedRecords: 0 };
    const buf = await readFile(seg.path);
    const read = readSegment(buf);
    if (read.torn) {
      log.warn({ file: seg.path, validBytes: read.validBytes, droppedBytes: buf.length - read.validBytes }, 'torn outbox record dropped');
      await truncate(seg.path, read.validBytes);
    }
    for (const rec of read.records) {
      nextId = Math.max(nextId, applyRecord(rec, seg, entries, entrySegment, bump) + 1);
      if (rec.type === REC_SHED) shed += rec.refs.length;
    }
    segments.push(seg);
  }
  return { counters: [...counters], nextId, shed, entries: [...entries.values()].sort((a, b) => a.id - b.id), segments, entrySegment, metaShed: meta.shed };
}

/** Applies one record; returns the highest id it mentions. */
function applyRecord(rec: LogRecord, seg: Segment, entries: Map<number, OutboxEntry>, entrySegment: Map<number, Segment>, bump: (d: string, c: string, s: number) => void): number {
  if (rec.type === REC_ENTRY) {
    entries.set(rec.entry.id, rec.entry);
    entrySegment.set(rec.entry.id, seg);
    seg.live++;
    bump(rec.entry.deviceId, rec.entry.channel, rec.entry.seq);
    return rec.entry.id;
  }
  let max = 0;
  for (const [id, deviceId, channel, seq] of rec.refs) {
    bump(deviceId, channel, seq);
    max = Math.max(max, id);
    const s = entrySegment.get(id);
    if (s) s.live--;
    entrySegment.delete(id);
    entries.delete(id);
  }
  if (rec.type === REC_SHED) seg.shedRecords += rec.refs.length;
  return max;
}
