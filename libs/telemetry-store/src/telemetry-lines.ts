import { bytesEqual, scanTelemetry, TelemetryLayout, tryParseTopic } from '@takt/contracts';
import { RESERVED } from './line-protocol.js';

/** Topics remembered with their tags; bounded, so a client walking topics cannot grow memory. */
const TOPIC_CACHE = 4_096;

/**
 * The line-protocol points of a `telemetry` publish straight from its payload bytes: the text
 * `toPoints(decodePublish(topic, payload))` makes, without the message objects and the strings in
 * between (the ingestor's hot path). Sensor names and number literals are copied as they are where
 * JavaScript would print the parsed number the same way, else the number is printed as `toPoints`
 * prints it. `encode` answers undefined whenever this path does not apply — another channel, a
 * payload `scanTelemetry` leaves to `decodePublish`, a reserved or all-digit sensor name — and the
 * caller takes the general path, which decides and names any error.
 */
export class TelemetryLineEncoder {
  readonly #layout = new TelemetryLayout();
  readonly #heads = new Map<string, { device: string; head: Buffer } | null>();
  #buf = Buffer.allocUnsafe(16 * 1024);
  /** `seq=…i,interval_ms=…i ` of the message being written */
  readonly #tail = Buffer.allocUnsafe(64);
  #tailLength = 0;

  /** The points of one publish, oldest first, or undefined (take the general path). */
  encode(topic: string, payload: Uint8Array): string[] | undefined {
    const t = this.#topic(topic);
    const L = this.#layout;
    if (!t || !scanTelemetry(payload, t.device, L) || L.digitKeys || hasReserved(L)) return undefined;
    const tail = `seq=${L.seq}i${L.intervalMs < 0 ? '' : `,interval_ms=${L.intervalMs}i`} `;
    this.#tailLength = this.#tail.write(tail, 0, 'latin1');
    // a point's names, literals and separators fit in the payload; a number printed anew takes at most 25 chars
    const room = t.head.length + this.#tailLength + 32 + payload.length + 27 * L.entries;
    if (this.#buf.length < room) this.#buf = Buffer.allocUnsafe(room * 2);
    const out = new Array<string>(L.rows);
    for (let r = 0; r < L.rows; r++) out[r] = this.#point(L, r, t.head);
    return out;
  }

  /** The measurement and tags of a telemetry topic (`telemetry,device=…,line=…,site=… `), or null for another topic. */
  #topic(topic: string): { device: string; head: Buffer } | null {
    let t = this.#heads.get(topic);
    if (t === undefined) {
      const p = tryParseTopic(topic);
      t =
        p?.channel === 'telemetry'
          ? { device: p.device, head: Buffer.from(`telemetry,device=${p.device},line=${p.line},site=${p.site} `) }
          : null;
      if (this.#heads.size >= TOPIC_CACHE) this.#heads.clear();
      this.#heads.set(topic, t);
    }
    return t;
  }

  /** Point `r` of the layout, written into the scratch buffer (sized by `encode`). */
  #point(L: TelemetryLayout, r: number, head: Buffer): string {
    const b = L.payload;
    const first = L.rowFirst[r] as number;
    const last = first + (L.rowCount[r] as number);
    const buf = this.#buf;
    let o = copy(head, 0, head.length, buf, 0);
    for (let n = first; n < last; n++) {
      o = copy(b, L.keyStart[n] as number, L.keyEnd[n] as number, buf, o);
      buf[o++] = 0x3d; // =
      const s = L.numStart[n] as number;
      const e = L.numEnd[n] as number;
      o = printsAsWritten(b, s, e) ? copy(b, s, e, buf, o) : o + buf.write(String(Number(text(b, s, e))), o, 'latin1');
      buf[o++] = 0x2c; // ,
    }
    o = copy(this.#tail, 0, this.#tailLength, buf, o);
    const ts = L.rowTsStart[r] as number;
    o = ts >= 0 ? copy(b, ts, L.rowTsEnd[r] as number, buf, o) : o + buf.write(String(L.rowTs[r]), o, 'latin1');
    return buf.toString('latin1', 0, o);
  }
}

/** The names `toPoints` refuses for a sensor, as bytes by length. */
const RESERVED_BYTES = [...RESERVED.telemetry].map((name) => Buffer.from(name));

function hasReserved(L: TelemetryLayout): boolean {
  const b = L.payload;
  for (let n = 0; n < L.entries; n++) {
    const s = L.keyStart[n] as number;
    const e = L.keyEnd[n] as number;
    for (const name of RESERVED_BYTES) if (bytesEqual(b, s, e, name)) return true;
  }
  return false;
}

function copy(from: Uint8Array, s: number, e: number, to: Buffer, o: number): number {
  for (let i = s; i < e; i++) to[o++] = from[i] as number;
  return o;
}

function text(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

/**
 * Whether JavaScript prints the number parsed from the JSON literal s..e as the same text: no
 * exponent, at most 15 significant digits (so the shortest round trip is these digits), no
 * trailing fraction zero, not -0, and in the range printed without an exponent.
 */
export function printsAsWritten(b: Uint8Array, s: number, e: number): boolean {
  let i = b[s] === 0x2d ? s + 1 : s;
  const intStart = i;
  while (isDigit(b[i]) && i < e) i++;
  const zeroInt = b[intStart] === 0x30;
  let significant = zeroInt ? 0 : i - intStart;
  if (i === e) return !(zeroInt && intStart > s) && significant <= 15;
  if (b[i] !== 0x2e || b[e - 1] === 0x30) return false; // an exponent, or "1.50"
  i++;
  if (zeroInt) {
    const fraction = i;
    while (b[i] === 0x30) i++;
    if (i - fraction > 5) return false; // below 1e-6 JavaScript prints an exponent
  }
  significant += e - i;
  for (; i < e; i++) if (!isDigit(b[i])) return false;
  return significant <= 15;
}
