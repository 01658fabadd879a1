/**
 * Byte-level pieces of JSON (RFC 8259) for readers that walk a payload without JSON.parse
 * (`telemetry-scan.ts`). Each answers only for the plain forms it knows and reports anything else
 * as `FAIL`, so a caller can hand the payload to JSON.parse and zod instead.
 */
export const FAIL = -1;

/** What kind of number literal `scanNumber` found last. */
export const NUMBER_KIND = { plainInt: 0, fraction: 1, exponent: 2 } as const;

/** Filled by `scanNumber` (one reader at a time: no allocation per literal). */
export const lastNumber = { kind: 0 as number, intDigits: 0 };

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

/**
 * The end of the JSON number literal at `i` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), or FAIL;
 * `lastNumber` says whether it had a fraction or an exponent and how many integer digits.
 */
export function scanNumber(b: Uint8Array, i: number): number {
  const start = i;
  if (b[i] === 0x2d) i++;
  const intStart = i;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i]) && b[i] !== 0x30) while (isDigit(b[i])) i++;
  else return FAIL;
  lastNumber.intDigits = i - intStart;
  let kind: number = NUMBER_KIND.plainInt;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
    kind = NUMBER_KIND.fraction;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
    kind = NUMBER_KIND.exponent;
  }
  lastNumber.kind = kind;
  return i > start ? i : FAIL;
}

/**
 * The index of the closing quote of the string opening at `i`, or FAIL for anything but printable
 * ASCII without escapes (every name and id the contracts allow is such a string).
 */
export function stringEnd(b: Uint8Array, i: number): number {
  if (b[i] !== 0x22) return FAIL;
  for (i++; i < b.length; i++) {
    const c = b[i] as number;
    if (c === 0x22) return i;
    if (c < 0x20 || c === 0x5c || c > 0x7e) return FAIL;
  }
  return FAIL;
}

/** Bytes s..e equal `word`. */
export function bytesEqual(b: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[s + k] !== word[k]) return false;
  return true;
}

/** Bytes s..e as a string, each byte one char (for the rare literal that needs `Number()`). */
export function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i] as number);
  return out;
}

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
}
const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const NAME_CHARS = charTable(`${LOWER_DIGITS}ABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-`);
const ID_FIRST = charTable(LOWER_DIGITS);
const ID_CHARS = charTable(`${LOWER_DIGITS}-`);

/** Filled by `nameEnd`: a small hash of the name and whether it is all digits. */
export const lastName = { hash: 0, digits: false };
const NAME_TABLE = new Uint8Array(256);
NAME_TABLE.set(NAME_CHARS);

/**
 * The index of the closing quote of the string opening at `i` when it is a name matching
 * NAME_PATTERN `^[A-Za-z0-9_.:-]{1,64}$` (no escapes then), else FAIL — in one pass that also fills
 * `lastName` (an 8-bit hash, all digits or not).
 */
export function nameEnd(b: Uint8Array, i: number): number {
  if (b[i] !== 0x22) return FAIL;
  const s = i + 1;
  let h = 0;
  let digits = true;
  for (i = s; ; i++) {
    const c = b[i];
    if (c === 0x22) break;
    if (c === undefined || NAME_TABLE[c] !== 1) return FAIL;
    h = (h * 31 + c) & 0xff;
    if (c < 0x30 || c > 0x39) digits = false;
  }
  if (i === s || i - s > 64) return FAIL;
  lastName.hash = h;
  lastName.digits = digits;
  return i;
}

/** ID_PATTERN `^[a-z0-9][a-z0-9-]{0,62}$` over bytes s..e. */
export function isIdBytes(b: Uint8Array, s: number, e: number): boolean {
  if (e <= s || e - s > 63 || ID_FIRST[b[s] as number] !== 1) return false;
  for (let i = s + 1; i < e; i++) if (ID_CHARS[b[i] as number] !== 1) return false;
  return true;
}
