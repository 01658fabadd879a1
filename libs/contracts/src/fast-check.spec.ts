import { describe, expect, it } from 'vitest';
import { channelSchemas } from './channels.js';
import { FAST_CHECKS } from './fast-check.js';
import { MAX_TELEMETRY_EARLIER } from './messages/edge.js';
import { sampleMessage } from './testing/index.js';
import type { Channel } from './topics.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const clone = <T>(v: T): T => structuredClone(v);

/** Every path into `v` (objects and arrays), the root included. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown | typeof DELETE): unknown {
  if (path.length === 0) return value === DELETE ? undefined : value;
  const copy = clone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === DELETE) delete cur[last];
  else cur[last] = value;
  return copy;
}

const DELETE = Symbol('delete');
/** Values that break some field somewhere: wrong types, out of range, not finite, not integer, bad names. */
const REPLACEMENTS: unknown[] = [
  DELETE,
  null,
  undefined,
  true,
  '',
  '5',
  'Bad Name',
  'a/b',
  'press-01',
  -1,
  0,
  0.5,
  1,
  1.5,
  2,
  100_001,
  3_600_001,
  999_999_999_999,
  10_000_000_000_000,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  [],
  [1],
  {},
  { x: 1 },
  1_767_225_600_000,
  1_767_225_600_500,
  1_767_225_599_000,
];

/** Valid messages of the fast channels, a few shapes each. */
function valid(): [Channel, Json][] {
  const t = sampleMessage('telemetry') as unknown as { ts: number };
  return [
    ['raw', sampleMessage('raw') as unknown as Json],
    [
      'raw',
      {
        ...(sampleMessage('raw') as unknown as Record<string, Json>),
        machineType: 'pump',
        sensors: { vibration: { rate: 2000, unit: 'g', values: [0.1, -0.2, 0.3] }, temp: { rate: 10, values: [40] } },
      },
    ],
    ['telemetry', sampleMessage('telemetry') as unknown as Json],
    [
      'telemetry',
      {
        ...(sampleMessage('telemetry') as unknown as Record<string, Json>),
        earlier: [
          { ts: t.ts - 2000, values: { a: 1 } },
          { ts: t.ts - 1000, values: { a: 2, 'b.c': -3.5 } },
        ],
      },
    ],
    ['features', sampleMessage('features') as unknown as Json],
    ['features', { ...(sampleMessage('features') as unknown as Record<string, Json>), cluster: 3, smoothedScore: 0.2 }],
  ];
}

describe('fast acceptance checks', () => {
  it.each(valid())('accept a valid %s message as it is, as zod does', (channel, msg) => {
    expect(FAST_CHECKS[channel]?.(msg)).toBe(true);
    expect(channelSchemas[channel].parse(msg)).toEqual(msg);
  });

  it('never accept what zod refuses or would change: every field of every shape, mutated', () => {
    let tried = 0;
    let refusedByBoth = 0;
    for (const [channel, msg] of valid()) {
      const check = FAST_CHECKS[channel] as (v: unknown) => boolean;
      const schema = channelSchemas[channel];
      for (const path of paths(msg)) {
        const candidates = REPLACEMENTS.map((r) => setAt(msg, path, r));
        const parent =
          path.length === 0
            ? msg
            : path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], msg);
        if (parent !== null && typeof parent === 'object' && !Array.isArray(parent))
          candidates.push(setAt(msg, [...path.slice(0, -1), 'extra'], 1));
        for (const candidate of candidates) {
          tried++;
          const zod = schema.safeParse(candidate);
          if (check(candidate)) {
            expect(
              zod.success,
              `fast check accepted what zod refuses: ${channel} ${path.join('.')} → ${JSON.stringify(candidate)?.slice(0, 300)}`,
            ).toBe(true);
            expect(zod.data).toEqual(candidate);
          } else if (!zod.success) refusedByBoth++;
        }
      }
    }
    expect(tried).toBeGreaterThan(1_000);
    expect(refusedByBoth).toBeGreaterThan(500);
  });

  it('telemetry: earlier rows out of order, at ts, or too many are left to zod (which refuses them)', () => {
    const m = sampleMessage('telemetry') as unknown as Record<string, Json> & { ts: number };
    const row = (ts: number) => ({ ts, values: { a: 1 } });
    for (const earlier of [
      [row(m.ts - 1000), row(m.ts - 2000)],
      [row(m.ts)],
      Array.from({ length: MAX_TELEMETRY_EARLIER + 1 }, (_, i) => row(m.ts - 1_000_000 + i)),
    ]) {
      expect(FAST_CHECKS.telemetry?.({ ...m, earlier })).toBe(false);
      expect(channelSchemas.telemetry.safeParse({ ...m, earlier }).success).toBe(false);
    }
  });

  it('a __proto__ key or an object that is not plain goes to zod', () => {
    const m = sampleMessage('telemetry') as unknown as Record<string, Json>;
    expect(FAST_CHECKS.telemetry?.(JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(m).slice(1)}`))).toBe(false);
    expect(FAST_CHECKS.telemetry?.(Object.assign(new (class Message {})(), m))).toBe(false);
  });
});
