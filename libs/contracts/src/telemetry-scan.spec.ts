import { describe, expect, it } from 'vitest';
import { decodePublish } from './codec.js';
import { MAX_PAYLOAD_BYTES } from './channels.js';
import { MAX_TELEMETRY_EARLIER, MAX_TELEMETRY_SENSORS } from './messages/edge.js';
import { NAME_PATTERN } from './messages/common.js';
import { ID_PATTERN } from './ids.js';
import { FAIL, isIdBytes, nameEnd } from './json-bytes.js';
import { TelemetryLayout } from './telemetry-layout.js';
import { scanTelemetry } from './telemetry-scan.js';
import { buildTopic } from './topics.js';
import { mutate, randomTelemetryText, rng } from './testing/telemetry-texts.js';

const DEVICE = 'press-01';
const TOPIC = buildTopic({ site: 'plant-a', line: 'line-1', device: DEVICE, channel: 'telemetry' });
const TS = 1_767_225_600_000;

type Row = { ts: number; values: Record<string, number> };

/** The message the layout describes, rebuilt the way JSON.parse would see it. */
function fromLayout(L: TelemetryLayout): Record<string, unknown> {
  const text = (s: number, e: number) => Buffer.from(L.payload.subarray(s, e)).toString('latin1');
  const rows: Row[] = [];
  for (let r = 0; r < L.rows; r++) {
    const values: Record<string, number> = {};
    const first = L.rowFirst[r] as number;
    for (let n = first; n < first + (L.rowCount[r] as number); n++)
      values[text(L.keyStart[n] as number, L.keyEnd[n] as number)] = Number(
        text(L.numStart[n] as number, L.numEnd[n] as number),
      );
    const ts = L.rowTs[r] as number;
    if ((L.rowTsStart[r] as number) >= 0)
      expect(text(L.rowTsStart[r] as number, L.rowTsEnd[r] as number)).toBe(`${ts}`);
    rows.push({ ts, values });
  }
  const last = rows.pop() as Row;
  expect(last.ts).toBe(L.ts);
  return {
    schemaVersion: 1,
    deviceId: text(L.deviceStart, L.deviceEnd),
    ts: L.ts,
    seq: L.seq,
    ...(L.intervalMs >= 0 ? { intervalMs: L.intervalMs } : {}),
    values: last.values,
    ...(rows.length > 0 ? { earlier: rows } : {}),
  };
}

/** Scans `text` and checks the one promise: accepted here means decodePublish accepts it, unchanged. */
function judge(text: string | Buffer, L = new TelemetryLayout()): { scan: boolean; zod: boolean } {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const scan = scanTelemetry(bytes, DEVICE, L);
  let decoded: unknown;
  try {
    decoded = decodePublish(TOPIC, bytes).message;
  } catch {
    decoded = undefined;
  }
  if (scan) {
    expect(decoded, `scan accepted what decodePublish refuses: ${bytes.toString().slice(0, 300)}`).toBeDefined();
    expect(fromLayout(L)).toEqual(decoded);
  }
  return { scan, zod: decoded !== undefined };
}

describe('json-bytes character classes', () => {
  // the byte tables restate NAME_PATTERN and ID_PATTERN: a change to either pattern must show here
  it('accept exactly the names and ids the contract patterns accept, every byte value and the length limits', () => {
    for (let c = 0; c < 256; c++) {
      for (const name of [String.fromCharCode(c), `a${String.fromCharCode(c)}`]) {
        const b = Buffer.from(`"${name}"`, 'latin1');
        if (c === 0x22) continue; // the closing quote itself
        expect(nameEnd(b, 0) !== FAIL, JSON.stringify(name)).toBe(NAME_PATTERN.test(name));
      }
      for (const id of [String.fromCharCode(c), `a${String.fromCharCode(c)}`]) {
        const b = Buffer.from(id, 'latin1');
        expect(isIdBytes(b, 0, b.length), JSON.stringify(id)).toBe(ID_PATTERN.test(id));
      }
    }
    for (const n of [63, 64, 65]) {
      const name = 'n'.repeat(n);
      expect(nameEnd(Buffer.from(`"${name}"`), 0) !== FAIL).toBe(NAME_PATTERN.test(name));
      expect(isIdBytes(Buffer.from(name), 0, n)).toBe(ID_PATTERN.test(name));
    }
  });
});

describe('scanTelemetry', () => {
  const base = `{"schemaVersion":1,"deviceId":"${DEVICE}","ts":${TS},"seq":7,"intervalMs":1000,"values":{"temperature":41.5,"current":12}}`;
  const batched = `{"schemaVersion":1,"deviceId":"${DEVICE}","ts":${TS},"seq":7,"values":{"a":3},"earlier":[{"ts":${TS - 2000},"values":{"a":1}},{"values":{"a":2,"b":-0.5},"ts":${TS - 1000}}]}`;

  it('accepts valid messages as decodePublish does, and lays them out as JSON.parse reads them', () => {
    for (const text of [
      base,
      batched,
      base.replace('"values":{', '"values":{"9":1,'),
      base.replace(/\{"temp[^}]*\}/, '{}'),
    ])
      expect(judge(text)).toEqual({ scan: true, zod: true });
  });

  it('BAD PAYLOAD - leaves to decodePublish what it does not handle or what is invalid', () => {
    const cases = [
      base.replace('"current"', '"temperature"'), // duplicate sensor: JSON.parse keeps the last
      base.replace('"seq":7', '"seq":7,"seq":8'),
      base.replace('"values":{', '"values":{"__proto__":1,'),
      base.replace('press-01', 'press\\u002d01'), // an escape
      base.replace('41.5', '1e400'), // Infinity
      base.replace('41.5', '01'),
      base.replace('41.5', '.5'),
      base.replace('41.5', '+1'),
      base.replace('41.5', 'NaN'),
      base.replace('"seq":7', '"seq":7.5'),
      base.replace('"seq":7', '"seq":-1'),
      base.replace('"schemaVersion":1', '"schemaVersion":2'),
      base.replace(`"ts":${TS}`, `"ts":${TS / 1000}`),
      base.replace('press-01', 'press-02'), // not the topic's device
      base.replace('press-01', 'Press-01'),
      base.replace('"temperature"', '"temp erature"'),
      base.replace('"intervalMs":1000', '"intervalMs":0'),
      base.replace('"intervalMs":1000', '"intervalMs":null'),
      base.replace('"intervalMs":1000', '"extra":1'),
      base.replace(/,"values":\{[^}]*\}/, ''),
      `\ufeff${base}`,
      `${base}x`,
      `${base}{}`,
      base.slice(0, -1),
      batched.replace(`"ts":${TS - 2000}`, `"ts":${TS - 500}`), // out of order
      batched.replace(`"ts":${TS - 1000}`, `"ts":${TS}`), // at ts
      batched.replace('"earlier":[', '"earlier":[],"x":['),
      batched.replace(/"earlier":\[.*\]/, '"earlier":[]'),
      batched.replace('{"ts":', '{"ts":1,"ts":'),
    ];
    for (const text of cases) expect(judge(text).scan, text).toBe(false);
  });

  it('BAD PAYLOAD - limits: sensors, rows, size', () => {
    const sensors = (n: number) => `{${Array.from({ length: n }, (_, i) => `"s${i}":1`).join(',')}}`;
    const rows = (n: number) =>
      `[${Array.from({ length: n }, (_, i) => `{"ts":${TS - (n - i) * 10},"values":{"a":1}}`).join(',')}]`;
    const withValues = (m: string) => base.replace(/"values":\{[^}]*\}/, `"values":${m}`);
    expect(judge(withValues(sensors(MAX_TELEMETRY_SENSORS)))).toEqual({ scan: true, zod: true });
    expect(judge(withValues(sensors(MAX_TELEMETRY_SENSORS + 1)))).toEqual({ scan: false, zod: false });
    expect(judge(base.replace('"values"', `"earlier":${rows(MAX_TELEMETRY_EARLIER)},"values"`))).toEqual({
      scan: true,
      zod: true,
    });
    expect(judge(base.replace('"values"', `"earlier":${rows(MAX_TELEMETRY_EARLIER + 1)},"values"`)).scan).toBe(false);
    const big = base.replace('"seq"', `"seq":7,${' '.repeat(MAX_PAYLOAD_BYTES.telemetry)}"x"`);
    expect(judge(big).scan).toBe(false);
  });

  it('BAD PAYLOAD - names made to collide in the duplicate filter go to decodePublish rather than cost quadratic time', () => {
    // the filter's hash (json-bytes nameEnd): h = (h * 31 + byte) & 0xff over the name
    const hash = (name: string) => [...Buffer.from(name)].reduce((h, c) => (h * 31 + c) & 0xff, 0);
    const colliding: string[] = [];
    for (let i = 0; colliding.length < MAX_TELEMETRY_SENSORS; i++)
      if (hash(`n${i}`) === hash('n0')) colliding.push(`n${i}`);
    const map = (names: string[]) => `{${names.map((k) => `"${k}":1`).join(',')}}`;
    const rows = (names: string[], n: number) =>
      `[${Array.from({ length: n }, (_, i) => `{"ts":${TS - (n - i) * 10},"values":${map(names)}}`).join(',')}]`;
    const hostile = base.replace('"values"', `"earlier":${rows(colliding, 100)},"values"`);
    expect(judge(hostile)).toEqual({ scan: false, zod: true });
    // the same size with ordinary names is read here
    const names = Array.from({ length: MAX_TELEMETRY_SENSORS }, (_, i) => `s${i}`);
    expect(judge(base.replace('"values"', `"earlier":${rows(names, 100)},"values"`))).toEqual({
      scan: true,
      zod: true,
    });
  });

  it('agrees with decodePublish on 20,000 random and mutated payloads (seeded)', () => {
    const pick = rng(19);
    const L = new TelemetryLayout();
    const tally = { validAccepted: 0, valid: 0, mutatedAccepted: 0, refusedByBoth: 0 };
    for (let n = 0; n < 10_000; n++) {
      const text = randomTelemetryText(pick, DEVICE, TS);
      const v = judge(text, L);
      if (v.zod) {
        tally.valid++;
        // what an edge sends (JSON.stringify) is always read here
        expect(judge(JSON.stringify(JSON.parse(text)), L)).toEqual({ scan: true, zod: true });
      }
      if (v.zod && v.scan) tally.validAccepted++;
      const m = judge(mutate(text, pick), L);
      if (m.scan) tally.mutatedAccepted++;
      if (!m.scan && !m.zod) tally.refusedByBoth++;
    }
    // hand-written but valid forms go to zod only when unusual (a duplicate name: 5 % of them)
    expect(tally.validAccepted / tally.valid).toBeGreaterThan(0.9);
    expect(tally.refusedByBoth).toBeGreaterThan(2_000);
    expect(tally.mutatedAccepted).toBeGreaterThan(500);
  });
});
