/**
 * Telemetry payloads written by hand rather than by JSON.stringify — key order, whitespace and
 * number forms vary — and byte-level mutations of them, for differential tests of readers that
 * walk payload bytes (`scanTelemetry`, the store's `TelemetryLineEncoder`) against `decodePublish`.
 */

/** mulberry32: a small seeded generator, so a failure can be replayed */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number literal of `v` in one of the forms JSON allows. */
function literal(v: number, pick: () => number): string {
  const r = pick();
  if (r < 0.6 || !Number.isFinite(v)) return JSON.stringify(v);
  if (r < 0.7) return v.toExponential();
  if (r < 0.8) return `${v.toExponential().replace('e+', 'E')}`;
  if (r < 0.9 && Number.isInteger(v)) return `${v}.0`;
  return v.toFixed(Math.floor(pick() * 6));
}

const pad = (pick: () => number) => [' ', '', '', '\n', '\t', '\r\n  '][Math.floor(pick() * 6)] as string;

/** Numbers whose shortest printed form is tricky: signs, tiny, huge, 15 to 17 digits. */
const VALUES = [
  0,
  -0,
  1,
  -1.5,
  1e-7,
  1e-6,
  0.000001234,
  123456.789,
  1e20,
  1e21,
  2 ** 53 + 2,
  0.1 + 0.2,
  123456789012345,
  1234567890123456,
  -0.5,
  5e-324,
  1.7976931348623157e308,
  100,
];

/** A random telemetry message serialised by hand: key order, whitespace and number forms vary. */
export function randomTelemetryText(pick: () => number, device: string, ts: number): string {
  const sensors = Array.from({ length: 1 + Math.floor(pick() * 10) }, (_, i) =>
    pick() < 0.1 ? String(i) : `s${i}${pick() < 0.2 ? '.x:y-z_' : ''}`,
  );
  if (pick() < 0.05) sensors.push(sensors[0] as string); // a duplicate name
  if (pick() < 0.03) sensors.push(pick() < 0.5 ? 'seq' : 'time'); // names the store reserves
  const value = () =>
    pick() < 0.3 ? Math.round(pick() * 1e6) / 100 : (VALUES[Math.floor(pick() * VALUES.length)] as number);
  const map = () =>
    `{${sensors.map((k) => `${pad(pick)}"${k}"${pad(pick)}:${pad(pick)}${literal(value(), pick)}`).join(',')}}`;
  const rows = Math.floor(pick() * 4);
  const fields = [
    `"schemaVersion":${pick() < 0.9 ? '1' : '1.0'}`,
    `"deviceId":"${device}"`,
    `"ts":${literal(ts, pick)}`,
    `"seq":${literal(Math.floor(pick() * 1e6), pick)}`,
    `"values":${map()}`,
  ];
  if (pick() < 0.5) fields.push(`"intervalMs":${literal(1 + Math.floor(pick() * 5000), pick)}`);
  if (rows > 0)
    fields.push(
      `"earlier":[${Array.from({ length: rows }, (_, r) => `{"ts":${ts - (rows - r) * 1000},"values":${map()}}`).join(',')}]`,
    );
  fields.sort(() => pick() - 0.5);
  return `${pad(pick)}{${fields.map((f) => `${pad(pick)}${f}${pad(pick)}`).join(',')}}${pad(pick)}`;
}

/** Bytes a mutation puts in: JSON's own characters, and some it refuses. */
const ALPHABET = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '.',
  '-',
  '+',
  'e',
  'E',
  '0',
  '1',
  '9',
  ' ',
  '\\',
  'a',
  '\u00e9',
  '\0',
];

export function mutate(text: string, pick: () => number): string {
  let s = text;
  for (let n = 1 + Math.floor(pick() * 3); n > 0; n--) {
    const at = Math.floor(pick() * (s.length + 1));
    const c = ALPHABET[Math.floor(pick() * ALPHABET.length)] as string;
    const op = pick();
    s =
      op < 0.4
        ? s.slice(0, at) + s.slice(at + 1)
        : op < 0.7
          ? s.slice(0, at) + c + s.slice(at + 1)
          : s.slice(0, at) + c + s.slice(at);
  }
  return s;
}
