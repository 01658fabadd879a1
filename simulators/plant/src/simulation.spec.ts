import { decode, encode } from '@takt/contracts';
import { describe, expect, it } from 'vitest';
import { stdOf } from './analysis/signal.js';
import { loadPlant } from './plant/load.js';
import { rawJson, rawMessage } from './output/raw-json.js';
import { PlantSimulation } from './simulation.js';
import { EXAMPLE_START_MS as S, samples, simulate, singleMachinePlant } from './test-plants.js';

const demo = loadPlant(new URL('../plants/demo.json', import.meta.url).pathname);

describe('PlantSimulation', () => {
  it('same seed → same samples, frames and truth; another seed → different samples', () => {
    const a = simulate(demo, 3, 5);
    const b = simulate(demo, 3, 5);
    const c = simulate(demo, 3, 6);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.raw)).not.toBe(JSON.stringify(c.raw));
    expect(a.raw.length).toBe(30 * 7);
    expect(a.camera.length).toBe(6);
  });

  it('the fast serialiser is byte-identical to the contract encoder for every machine', () => {
    const sim = new PlantSimulation(demo, { seed: 2, startMs: S });
    let checked = 0;
    for (let i = 0; i < 20; i++) {
      sim.step({
        truth: () => undefined,
        camera: () => undefined,
        raw: (v) => {
          expect(rawJson(v)).toBe(encode('raw', rawMessage(v)).toString());
          checked++;
        },
      });
    }
    expect(checked).toBe(20 * 7);
  });

  it('publishes a truth start and end at each fault time, valid on the truth channel', () => {
    const plant = singleMachinePlant({
      id: 'm-1',
      type: 'motor',
      sensors: { temperature: { rate: 10 } },
      faults: [{ id: 'f-1', kind: 'overheating', start: 2, duration: 3 }],
    });
    const rec = simulate(plant, 8);
    expect(rec.truth.map((t) => [t.state, t.ts - S, t.faultId, t.fault, t.seq])).toEqual([
      ['start', 2000, 'f-1', 'overheating', 0],
      ['end', 5000, 'f-1', 'overheating', 1],
    ]);
    for (const t of rec.truth) expect(decode('truth', encode('truth', t))).toEqual(t);
  });

  it('healthy operation moves with load cycles and ambient, so one fixed threshold does not separate faults', () => {
    const plant = singleMachinePlant({
      id: 'pump-7',
      type: 'pump',
      loadCycleS: 60,
      sensors: { vibration: { rate: 1000 }, temperature: { rate: 10 }, current: { rate: 10 } },
    });
    const rec = simulate(plant, 600);
    const rms = [0, 100, 200, 300, 400, 500].flatMap((a) =>
      [0, 15, 30, 45].map((o) => stdOf(samples(rec, 'pump-7', 'vibration', a + o, a + o + 1))),
    );
    expect(Math.max(...rms) / Math.min(...rms)).toBeGreaterThan(1.3);
    const current = samples(rec, 'pump-7', 'current', 0, 600);
    expect(Math.max(...current) - Math.min(...current)).toBeGreaterThan(5);
    const temp = samples(rec, 'pump-7', 'temperature', 0, 600);
    expect(Math.max(...temp) - Math.min(...temp)).toBeGreaterThan(1);
  });
});
