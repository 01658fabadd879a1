/**
 * A reader of `telemetry` payloads straight from their bytes, for the broker and the ingestor,
 * which see a telemetry message per interval of every device. It builds no objects: it walks the
 * JSON once, checks what `telemetrySchema` checks and records where each part lies in the payload
 * (a `TelemetryLayout`). Like the fast checks it only ever *accepts*: `scanTelemetry` answers true
 * only for a payload that `decodePublish` accepts for that device unchanged, and false for anything
 * else — invalid, unusual (escapes, duplicate keys, non-ASCII, `__proto__`) or merely not handled
 * here — and the caller then runs `decodePublish`, which decides and names the error.
 * `telemetry-scan.spec.ts` checks this against `decodePublish` on mutated and random payloads.
 */

import { MAX_PAYLOAD_BYTES } from './channels.js';
import { MAX_TELEMETRY_EARLIER, MAX_TELEMETRY_SENSORS } from './messages/edge.js';
import { SCHEMA_VERSION, TS_MAX, TS_MIN } from './messages/common.js';
import { TelemetryLayout } from './telemetry-layout.js';
import {
  bytesEqual,
  FAIL,
  isIdBytes,
  lastName,
  lastNumber,
  latin1,
  nameEnd,
  NUMBER_KIND,
  scanNumber,
  stringEnd,
} from './json-bytes.js';

/** The top-level keys; each has its own length, and its index is its bit in a key set. */
const KEYS = ['schemaVersion', 'deviceId', 'ts', 'seq', 'values', 'intervalMs', 'earlier'] as const;
const K = { schemaVersion: 0, deviceId: 1, ts: 2, seq: 3, values: 4, intervalMs: 5, earlier: 6 } as const;
const KEY_BYTES = KEYS.map((k) => Buffer.from(k));
const KEY_BY_LENGTH = new Int8Array(16).fill(-1);
KEYS.forEach((k, id) => (KEY_BY_LENGTH[k.length] = id));
/** schemaVersion, deviceId, ts, seq, values */
const REQUIRED = 0b11111;
const PROTO = Buffer.from('__proto__');
const TS_KEY = KEY_BYTES[K.ts] as Buffer;
const VALUES_KEY = KEY_BYTES[K.values] as Buffer;
const MAX_PAYLOAD = MAX_PAYLOAD_BYTES.telemetry;

const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
function ws(b: Uint8Array, i: number): number {
  while (isWs(b[i])) i++;
  return i;
}

/** The value of the number literal s..e that `scanNumber` just read; plain integers without a string. */
function numberValue(b: Uint8Array, s: number, e: number): number {
  if (lastNumber.kind !== NUMBER_KIND.plainInt || e - s > 15) return Number(latin1(b, s, e));
  const neg = b[s] === 0x2d;
  let n = 0;
  for (let i = neg ? s + 1 : s; i < e; i++) n = n * 10 + ((b[i] as number) - 0x30);
  return neg ? -n : n;
}

/** Reads an integer in [min, max] (zod `.int()`: a safe integer) at `i` into `got.v`; returns its end, or FAIL. */
const got = { v: 0, plain: false };
function intAt(b: Uint8Array, i: number, min: number, max: number): number {
  const end = scanNumber(b, i);
  if (end === FAIL) return FAIL;
  const v = numberValue(b, i, end);
  if (!Number.isSafeInteger(v) || v < min || v > max) return FAIL;
  got.v = v;
  got.plain = lastNumber.kind === NUMBER_KIND.plainInt && b[i] !== 0x2d;
  return end;
}

/** Whether the literal s..e (just read by `scanNumber`) is finite once parsed: one with an exponent or hundreds of digits may overflow. */
function isFiniteLiteral(b: Uint8Array, s: number, e: number): boolean {
  return (lastNumber.kind !== NUMBER_KIND.exponent && e - s < 300) || Number.isFinite(Number(latin1(b, s, e)));
}

/** A 256-bit filter of the names in the current map (by `lastName.hash`), so duplicates are looked for only on a hit. */
const seen = new Uint32Array(8);
/**
 * Names compared in the current message before it is handed to decodePublish instead: 4 per payload
 * byte, so names chosen to collide in the filter cannot make this reader quadratic in a hostile payload.
 */
let comparesLeft = 0;

/** Whether the name ks..ke is already in this map (JSON.parse would keep only the last), or collides too often to tell cheaply. */
function isDuplicate(b: Uint8Array, L: TelemetryLayout, first: number, ks: number, ke: number): boolean {
  const h = lastName.hash;
  const word = h >> 5;
  const bit = 1 << (h & 31);
  if (((seen[word] as number) & bit) === 0) {
    seen[word] = (seen[word] as number) | bit;
    return false;
  }
  const len = ke - ks;
  comparesLeft -= L.entries - first;
  if (comparesLeft < 0) return true;
  for (let n = first; n < L.entries; n++) {
    const s = L.keyStart[n] as number;
    if ((L.keyEnd[n] as number) - s !== len) continue;
    let k = 0;
    while (k < len && b[s + k] === b[ks + k]) k++;
    if (k === len) return true;
  }
  return false;
}

/** One `"name": number` entry at `i` (after `{` or `,`); returns the index after it, or FAIL. */
function entry(b: Uint8Array, i: number, L: TelemetryLayout, first: number): number {
  const ks = i + 1;
  const ke = nameEnd(b, i);
  if (ke === FAIL || (ke - ks === PROTO.length && bytesEqual(b, ks, ke, PROTO))) return FAIL;
  const digits = lastName.digits;
  if (L.entries - first >= MAX_TELEMETRY_SENSORS || isDuplicate(b, L, first, ks, ke)) return FAIL;
  i = ws(b, ke + 1);
  if (b[i] !== 0x3a) return FAIL;
  i = ws(b, i + 1);
  const end = scanNumber(b, i);
  if (end === FAIL || !isFiniteLiteral(b, i, end)) return FAIL;
  L.grow();
  const n = L.entries++;
  L.keyStart[n] = ks;
  L.keyEnd[n] = ke;
  L.numStart[n] = i;
  L.numEnd[n] = end;
  if (digits) L.digitKeys = true;
  return end;
}

/** `{ "name": number, ... }` (numberMap(MAX_TELEMETRY_SENSORS)) at `i` into the layout; returns its end, or FAIL. */
function numberMap(b: Uint8Array, i: number, L: TelemetryLayout): number {
  if (b[i] !== 0x7b) return FAIL;
  const first = L.entries;
  seen.fill(0);
  i = ws(b, i + 1);
  if (b[i] === 0x7d) return i + 1;
  for (;;) {
    i = entry(b, i, L, first);
    if (i === FAIL) return FAIL;
    i = ws(b, i);
    if (b[i] === 0x7d) return i + 1;
    if (b[i] !== 0x2c) return FAIL;
    i = ws(b, i + 1);
  }
}

/** Records row `r`'s timestamp from `got` (its literal at s..e when plain digits). */
function setRowTs(L: TelemetryLayout, r: number, s: number, e: number): void {
  L.rowTs[r] = got.v;
  L.rowTsStart[r] = got.plain ? s : -1;
  L.rowTsEnd[r] = e;
}

/** One `earlier` row `{ "ts": …, "values": {…} }` at `i` as row `r`; returns its end, or FAIL. */
function row(b: Uint8Array, i: number, L: TelemetryLayout, r: number): number {
  if (b[i] !== 0x7b) return FAIL;
  let keys = 0;
  i = ws(b, i + 1);
  for (;;) {
    const ks = i + 1;
    const ke = stringEnd(b, i);
    if (ke === FAIL) return FAIL;
    i = ws(b, ke + 1);
    if (b[i] !== 0x3a) return FAIL;
    i = ws(b, i + 1);
    const s = i;
    if (bytesEqual(b, ks, ke, TS_KEY) && (keys & 1) === 0) {
      i = intAt(b, i, TS_MIN, TS_MAX);
      if (i === FAIL) return FAIL;
      setRowTs(L, r, s, i);
      keys |= 1;
    } else if (bytesEqual(b, ks, ke, VALUES_KEY) && (keys & 2) === 0) {
      L.rowFirst[r] = L.entries;
      i = numberMap(b, i, L);
      if (i === FAIL) return FAIL;
      L.rowCount[r] = L.entries - (L.rowFirst[r] as number);
      keys |= 2;
    } else return FAIL;
    i = ws(b, i);
    if (b[i] === 0x7d) return keys === 3 ? i + 1 : FAIL;
    if (b[i] !== 0x2c) return FAIL;
    i = ws(b, i + 1);
  }
}

/** `earlier`: 1..MAX_TELEMETRY_EARLIER rows in strictly rising time; returns its end, or FAIL. */
function earlier(b: Uint8Array, i: number, L: TelemetryLayout): number {
  if (b[i] !== 0x5b) return FAIL;
  i = ws(b, i + 1);
  for (let r = 0; ; r++) {
    if (r >= MAX_TELEMETRY_EARLIER) return FAIL;
    i = row(b, i, L, r);
    if (i === FAIL || (r > 0 && (L.rowTs[r] as number) <= (L.rowTs[r - 1] as number))) return FAIL;
    i = ws(b, i);
    if (b[i] === 0x5d) {
      L.rows = r + 1;
      return i + 1;
    }
    if (b[i] !== 0x2c) return FAIL;
    i = ws(b, i + 1);
  }
}

/** The index of the top-level key at ks..ke, or -1. */
function topKey(b: Uint8Array, ks: number, ke: number): number {
  const id = ke - ks < 16 ? (KEY_BY_LENGTH[ke - ks] as number) : -1;
  return id >= 0 && bytesEqual(b, ks, ke, KEY_BYTES[id] as Buffer) ? id : -1;
}

/** Where the latest interval (`values`, `ts`) lies while the rest of the message is read. */
const latest = { first: 0, count: 0, tsStart: 0, tsEnd: 0, tsPlain: false };

/** Reads the value of top-level key number `key` at `i`; returns its end, or FAIL. */
function topValue(b: Uint8Array, i: number, key: number, L: TelemetryLayout, device: string): number {
  switch (key) {
    case K.schemaVersion:
      return intAt(b, i, SCHEMA_VERSION, SCHEMA_VERSION);
    case K.deviceId: {
      const end = stringEnd(b, i);
      if (end === FAIL || !isIdBytes(b, i + 1, end) || end - i - 1 !== device.length) return FAIL;
      for (let k = 0; k < device.length; k++) if (b[i + 1 + k] !== device.charCodeAt(k)) return FAIL;
      L.deviceStart = i + 1;
      L.deviceEnd = end;
      return end + 1;
    }
    case K.ts: {
      const end = intAt(b, i, TS_MIN, TS_MAX);
      latest.tsStart = i;
      latest.tsEnd = end;
      latest.tsPlain = got.plain;
      L.ts = got.v;
      return end;
    }
    case K.seq: {
      const end = intAt(b, i, 0, Number.MAX_SAFE_INTEGER);
      L.seq = got.v;
      return end;
    }
    case K.intervalMs: {
      const end = intAt(b, i, 1, 3_600_000);
      L.intervalMs = got.v;
      return end;
    }
    case K.values: {
      latest.first = L.entries;
      const end = numberMap(b, i, L);
      latest.count = L.entries - latest.first;
      return end;
    }
    case K.earlier:
      return earlier(b, i, L);
    default:
      return FAIL;
  }
}

/** Puts the latest interval after the earlier rows, once the whole message is read. */
function closeRows(L: TelemetryLayout, keys: number): boolean {
  if ((keys & REQUIRED) !== REQUIRED) return false;
  const r = L.rows;
  if (r > 0 && (L.rowTs[r - 1] as number) >= L.ts) return false;
  L.rowTs[r] = L.ts;
  L.rowTsStart[r] = latest.tsPlain ? latest.tsStart : -1;
  L.rowTsEnd[r] = latest.tsEnd;
  L.rowFirst[r] = latest.first;
  L.rowCount[r] = latest.count;
  L.rows = r + 1;
  return true;
}

/**
 * Reads a `telemetry` payload published on a topic of device `device` into `L`. True only when
 * `decodePublish` accepts the publish unchanged (same limits, schema and device match); false
 * when it does not or this reader cannot tell: then run `decodePublish`, which decides.
 */
export function scanTelemetry(payload: Uint8Array, device: string, L: TelemetryLayout): boolean {
  if (payload.length > MAX_PAYLOAD) return false;
  const b = payload;
  L.payload = b;
  L.entries = 0;
  L.rows = 0;
  L.intervalMs = -1;
  L.digitKeys = false;
  comparesLeft = 4 * payload.length;
  let keys = 0;
  let i = ws(b, 0);
  if (b[i] !== 0x7b) return false;
  i = ws(b, i + 1);
  for (;;) {
    const ke = stringEnd(b, i);
    if (ke === FAIL) return false;
    const key = topKey(b, i + 1, ke);
    if (key < 0 || (keys & (1 << key)) !== 0) return false;
    keys |= 1 << key;
    i = ws(b, ke + 1);
    if (b[i] !== 0x3a) return false;
    i = topValue(b, ws(b, i + 1), key, L, device);
    if (i === FAIL) return false;
    i = ws(b, i);
    if (b[i] === 0x7d) break;
    if (b[i] !== 0x2c) return false;
    i = ws(b, i + 1);
  }
  return ws(b, i + 1) === b.length && closeRows(L, keys);
}
