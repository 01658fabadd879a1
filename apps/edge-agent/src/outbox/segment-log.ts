import { crc32 } from 'node:zlib';
import type { Channel } from '@takt/contracts';
import type { OutboxEntry } from './outbox.js';

/**
 * Record framing of the outbox segment files:
 *   u32le bodyLength | u32le crc32(body) | body
 * body[0] is the record type; a record whose length runs past the end of the file or whose CRC
 * does not match is a torn write (power loss mid-append) at the tail, or corruption in the middle
 * when whole records follow it (see readSegment).
 */
export const HEADER_BYTES = 8;
export const REC_ENTRY = 1;
export const REC_ACK = 2;
export const REC_SHED = 3;
/** a body longer than this is corruption, not a record */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

interface EntryMeta {
  id: number;
  seq: number;
  topic: string;
  deviceId: string;
  channel: Channel;
  retain: boolean;
}

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

/** An ENTRY record: type | u32 metaLength | meta JSON | payload. */
export function encodeEntry(e: OutboxEntry): Buffer {
  const meta: EntryMeta = {
    id: e.id,
    seq: e.seq,
    topic: e.topic,
    deviceId: e.deviceId,
    channel: e.channel,
    retain: e.retain,
  };
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const body = Buffer.alloc(5 + metaBytes.length + e.payload.byteLength);
  body[0] = REC_ENTRY;
  body.writeUInt32LE(metaBytes.length, 1);
  metaBytes.copy(body, 5);
  Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength).copy(body, 5 + metaBytes.length);
  return frame(body);
}

/** What a removal record keeps of each entry: enough to restore the seq counter of a shed one. */
export type RemovedRef = [id: number, deviceId: string, channel: Channel, seq: number];

/** An ACK or SHED record: type | JSON array of [id, deviceId, channel, seq]. */
export function encodeRemoval(
  kind: typeof REC_ACK | typeof REC_SHED,
  entries: readonly Pick<OutboxEntry, 'id' | 'deviceId' | 'channel' | 'seq'>[],
): Buffer {
  const refs: RemovedRef[] = entries.map((e) => [e.id, e.deviceId, e.channel, e.seq]);
  return frame(Buffer.concat([Buffer.from([kind]), Buffer.from(JSON.stringify(refs))]));
}

export type LogRecord =
  { type: typeof REC_ENTRY; entry: OutboxEntry } | { type: typeof REC_ACK | typeof REC_SHED; refs: RemovedRef[] };

export interface SegmentRead {
  records: LogRecord[];
  /** end of the last whole, valid record; anything after it is a torn tail */
  validBytes: number;
  torn: boolean;
  /** corrupt bytes between valid records, skipped */
  skippedBytes: number;
}

function decodeBody(body: Buffer): LogRecord | undefined {
  try {
    if (body[0] === REC_ENTRY) {
      const metaLen = body.readUInt32LE(1);
      const meta = JSON.parse(body.subarray(5, 5 + metaLen).toString('utf8')) as EntryMeta;
      const payload = new Uint8Array(body.subarray(5 + metaLen));
      return { type: REC_ENTRY, entry: { ...meta, payload } };
    }
    if (body[0] === REC_ACK || body[0] === REC_SHED) {
      return { type: body[0], refs: JSON.parse(body.subarray(1).toString('utf8')) as RemovedRef[] };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The whole, valid record starting at `off`, or undefined when the bytes there are not one. */
function recordAt(buf: Buffer, off: number): { rec: LogRecord; end: number } | undefined {
  if (off + HEADER_BYTES > buf.length) return undefined;
  const len = buf.readUInt32LE(off);
  if (len === 0 || len > MAX_RECORD_BYTES || off + HEADER_BYTES + len > buf.length) return undefined;
  const type = buf[off + HEADER_BYTES];
  if (type !== REC_ENTRY && type !== REC_ACK && type !== REC_SHED) return undefined;
  const body = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
  if (crc32(body) !== buf.readUInt32LE(off + 4)) return undefined;
  const rec = decodeBody(body);
  return rec && { rec, end: off + HEADER_BYTES + len };
}

/**
 * Parses a segment file's bytes. A bad frame followed by valid ones is corruption in the middle
 * (a flipped bit, a bad sector): its bytes are skipped and reading goes on at the next whole record,
 * so one damaged record does not take every later one with it. Bad bytes with no valid record after
 * them are a torn tail (power loss mid-append).
 */
export function readSegment(buf: Buffer): SegmentRead {
  const records: LogRecord[] = [];
  let off = 0;
  let validBytes = 0;
  let skippedBytes = 0;
  while (off + HEADER_BYTES <= buf.length) {
    const at = recordAt(buf, off);
    if (at) {
      records.push(at.rec);
      off = validBytes = at.end;
      continue;
    }
    let next = off + 1;
    while (next + HEADER_BYTES <= buf.length && !recordAt(buf, next)) next++;
    if (next + HEADER_BYTES > buf.length) break; // nothing whole after it: a torn tail
    skippedBytes += next - off;
    off = next;
  }
  return { records, validBytes, torn: validBytes < buf.length, skippedBytes };
}
