import { open, readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@takt/runtime';
import type { OutboxRestore } from './outbox-core.js';
import type { OutboxEntry } from './outbox.js';
import { readSegment, REC_ENTRY, REC_SHED, type LogRecord } from './segment-log.js';

const log = createLogger('edge-outbox');

export interface Segment {
  index: number;
  path: string;
  /** entries written here and still pending */
  live: number;
  /** shed refs recorded here, counted into meta.shed when the file is deleted */
  shedRecords: number;
}

export interface Meta {
  nextId: number;
  counters: [string, number][];
  /** shed entries recorded in segment files already deleted */
  shed: number;
}

export const segName = (i: number) => `seg-${String(i).padStart(10, '0')}.log`;
export const SEG_RE = /^seg-(\d{10})\.log$/;

/** What a replay of the segment files gives back. */
export type DiskRestore = OutboxRestore & { segments: Segment[]; entrySegment: Map<number, Segment>; metaShed: number };

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on a directory; the data files are synced regardless
  } finally {
    await fh.close();
  }
}

export async function readMeta(dir: string): Promise<Meta> {
  try {
    return JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Meta;
  } catch {
    return { nextId: 1, counters: [], shed: 0 };
  }
}

/** Replays every segment: pending entries, seq counters, next id and the shed count. */
export async function recover(dir: string): Promise<DiskRestore> {
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
    if (read.skippedBytes > 0)
      log.error(
        { file: seg.path, skippedBytes: read.skippedBytes },
        'corrupt outbox bytes skipped: the records in them are lost, the ones after them kept',
      );
    if (read.torn) {
      log.warn(
        { file: seg.path, validBytes: read.validBytes, droppedBytes: buf.length - read.validBytes },
        'torn outbox record dropped',
      );
      await truncate(seg.path, read.validBytes);
    }
    for (const rec of read.records) {
      nextId = Math.max(nextId, applyRecord(rec, seg, entries, entrySegment, bump) + 1);
      if (rec.type === REC_SHED) shed += rec.refs.length;
    }
    segments.push(seg);
  }
  return {
    counters: [...counters],
    nextId,
    shed,
    entries: [...entries.values()].sort((a, b) => a.id - b.id),
    segments,
    entrySegment,
    metaShed: meta.shed,
  };
}

/** Applies one record; returns the highest id it mentions. */
function applyRecord(
  rec: LogRecord,
  seg: Segment,
  entries: Map<number, OutboxEntry>,
  entrySegment: Map<number, Segment>,
  bump: (d: string, c: string, s: number) => void,
): number {
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
