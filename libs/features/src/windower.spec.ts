import { describe, expect, it } from 'vitest';
import type { RawSampleBatch } from '@takt/contracts';
import { computeFeatures } from './features.js';
import { Windower } from './windower.js';
import type { FeatureWindow } from './types.js';

const T0 = 1_767_225_600_037; // deliberately not on a window boundary

interface Signal {
  rate: number;
  values: number[];
}

/** 3 s of a 1 kHz vibration with an impulse train and a 10 Hz temperature, deterministic. */
function signals(): Record<string, Signal> {
  const vib = Array.from(
    { length: 3000 },
    (_, i) => Math.sin(i * 0.37) + 0.3 * Math.sin(i * 1.91) + (i % 97 === 0 ? 2.5 : 0),
  );
  const temp = Array.from({ length: 30 }, (_, i) => 40 + 0.01 * i * i);
  return { vibration: { rate: 1000, values: vib }, temperature: { rate: 10, values: temp } };
}

function batch(sensors: RawSampleBatch['sensors'], t0: number, seq: number, deviceId = 'press-01'): RawSampleBatch {
  return { schemaVersion: 1, deviceId, ts: t0, seq, t0, sensors };
}

/** Cuts every sensor into chunks of `chunkMs`, all sensors together in one batch per chunk. */
function together(sig: Record<string, Signal>, chunkMs: number): RawSampleBatch[] {
  const out: RawSampleBatch[] = [];
  for (let t = 0; t < 3000; t += chunkMs) {
    const sensors: RawSampleBatch['sensors'] = {};
    for (const [name, s] of Object.entries(sig)) {
      const per = 1000 / s.rate;
      sensors[name] = { rate: s.rate, values: s.values.slice(Math.round(t / per), Math.round((t + chunkMs) / per)) };
    }
    out.push(batch(sensors, T0 + t, out.length));
  }
  return out;
}

/** One batch per sensor per chunk, chunk sizes differing per sensor, merged in time order as a stream delivers them. */
function separately(sig: Record<string, Signal>, sizes: Record<string, number>): RawSampleBatch[] {
  const queues = Object.entries(sig).map(([name, s]) => {
    const q: RawSampleBatch[] = [];
    const size = sizes[name];
    for (let i = 0; i < s.values.length; i += size) {
      q.push(
        batch(
          { [name]: { rate: s.rate, values: s.values.slice(i, i + size) } },
          T0 + Math.round((i * 1000) / s.rate),
          0,
        ),
      );
    }
    return q;
  });
  return queues.flat().sort((x, y) => x.t0 - y.t0);
}

function run(w: Windower, batches: RawSampleBatch[]): FeatureWindow[] {
  return batches.flatMap((b) => w.push(b));
}

describe('Windower', () => {
  it('gives identical windows and features however the stream is split into batches', () => {
    const sig = signals();
    const opts = { lengthMs: 1000, hopMs: 500 };
    const a = run(new Windower(opts), together(sig, 100));
    const b = run(new Windower(opts), separately(sig, { vibration: 137, temperature: 3 }));
    const c = run(new Windower(opts), together(sig, 1000));
    expect(a.length).toBe(4); // starts T0-aligned: 500, 1000, 1500, 2000 after the first boundary
    expect(b).toStrictEqual(a);
    expect(c).toStrictEqual(a);
    const fa = a.map(computeFeatures);
    expect(b.map(computeFeatures)).toStrictEqual(fa);
    expect(c.map(computeFeatures)).toStrictEqual(fa);
    expect(Object.keys(fa[0])).toContain('vibration.band_0_500');
  });

  it('aligns windows to multiples of hopMs since the epoch and takes [start, end)', () => {
    const w = new Windower({ lengthMs: 1000, hopMs: 500 });
    const wins = run(w, together(signals(), 100));
    expect(wins[0].start % 500).toBe(0);
    expect(wins[0].start).toBeGreaterThanOrEqual(T0);
    for (const win of wins) {
      expect(win.end - win.start).toBe(1000);
      expect(win.sensors['vibration'].values.length).toBe(1000);
      expect(win.sensors['temperature'].values.length).toBe(10);
    }
    // the first sample of the first window is the sample at its start time
    const first = wins[0].start - T0;
    expect(wins[0].sensors['vibration'].values[0]).toBe(signals()['vibration'].values[first]);
  });

  it('skips redelivered and overlapping samples (QoS 1 duplicates)', () => {
    const batches = together(signals(), 100);
    const withDupes = batches.flatMap((b, i) => (i % 3 === 0 ? [b, b] : [b]));
    const opts = { lengthMs: 500, hopMs: 250 };
    expect(run(new Windower(opts), withDupes)).toStrictEqual(run(new Windower(opts), batches));
  });

  it('keeps devices apart', () => {
    const w = new Windower({ lengthMs: 500, hopMs: 500 });
    const a = together(signals(), 100);
    const b = a.map((x) => ({ ...x, deviceId: 'press-02' }));
    const wins = a.flatMap((x, i) => [...w.push(x), ...w.push(b[i])]);
    expect(wins.filter((x) => x.deviceId === 'press-01').length).toBe(
      wins.filter((x) => x.deviceId === 'press-02').length,
    );
    expect(wins.length).toBeGreaterThan(6);
  });

  it('only takes the sensors it was asked for', () => {
    const wins = run(new Windower({ lengthMs: 500, hopMs: 500, sensors: ['vibration'] }), together(signals(), 100));
    expect(wins.every((x) => Object.keys(x.sensors).join() === 'vibration')).toBe(true);
  });

  it('skips the empty windows a gap in the data leaves and does not stall on a dead sensor', () => {
    const all = together(signals(), 100);
    // a 1.2 s hole: nothing between 800 and 2000 ms
    const holed = all.filter((b) => b.t0 - T0 < 800 || b.t0 - T0 >= 2000);
    const wins = run(new Windower({ lengthMs: 200, hopMs: 200 }), holed);
    for (const win of wins) expect(win.sensors['vibration'].values.length).toBeGreaterThan(0);
    expect(wins.some((x) => x.start > T0 + 2000)).toBe(true);
    // temperature stops after 1 s; vibration alone keeps the windows coming
    const dead = all.map((b) => (b.t0 - T0 >= 1000 ? { ...b, sensors: { vibration: b.sensors['vibration'] } } : b));
    const later = run(new Windower({ lengthMs: 200, hopMs: 200 }), dead);
    expect(later[later.length - 1].start).toBeGreaterThan(T0 + 2500);
    expect(later[later.length - 1].sensors['temperature']).toBeUndefined();
  });

  it('BAD INPUT - non-positive lengthMs is refused naming the option', () => {
    expect(() => new Windower({ lengthMs: 0, hopMs: 100 })).toThrow(
      expect.objectContaining({
        name: 'FeatureError',
        code: 'INVALID_OPTION',
        message: expect.stringMatching(/lengthMs/),
      }),
    );
  });

  it('BAD INPUT - NaN hopMs and an empty sensors list are refused', () => {
    expect(() => new Windower({ lengthMs: 100, hopMs: Number.NaN })).toThrow(/hopMs/);
    expect(() => new Windower({ lengthMs: 100, hopMs: 100, sensors: [] })).toThrow(/sensors/);
  });
});
