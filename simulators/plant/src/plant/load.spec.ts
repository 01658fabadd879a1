import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimError } from '../errors.js';
import { loadPlant, parsePlant } from './load.js';

const demoFile = new URL('../../plants/demo.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'takt-plant-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = () => ({
  sites: [
    {
      id: 'site-1',
      lines: [
        { id: 'line-1', machines: [{ id: 'm-0', type: 'motor', sensors: { temperature: { rate: 10 } } }] },
        {
          id: 'line-2',
          machines: [
            { id: 'm-1', type: 'motor', sensors: { temperature: { rate: 10 } } },
            { id: 'm-2', type: 'pump', sensors: { temperature: { rate: 10 }, vibration: { rate: 5000 } } },
          ],
        },
      ],
    },
  ],
});
type Base = ReturnType<typeof base> & Record<string, unknown>;

function refusal(edit: (p: Base) => void): SimError {
  const p = base() as Base;
  edit(p);
  try {
    parsePlant(p, 'plant.json');
  } catch (err) {
    expect(err).toBeInstanceOf(SimError);
    return err as SimError;
  }
  throw new Error('plant was accepted');
}
const machine = (p: Base, line: number, i: number) =>
  p.sites[0]!.lines[line]!.machines[i] as Record<string, unknown> & {
    sensors: Record<string, Record<string, unknown>>;
  };

describe('plant file', () => {
  it('loads the documented demo plant with defaults filled in', () => {
    const plant = loadPlant(demoFile);
    expect(plant.batchMs).toBe(100);
    const machines = plant.sites.flatMap((s) => s.lines.flatMap((l) => l.machines));
    expect(new Set(machines.map((m) => m.type))).toEqual(
      new Set(['pump', 'motor', 'press', 'cnc-spindle', 'camera', 'fan']),
    );
    expect(machines.find((m) => m.id === 'cam-1')?.camera).toMatchObject({ size: 96, encoding: 'png' });
    expect(machines.find((m) => m.id === 'pump-1')?.faults[0]).toMatchObject({ kind: 'bearing-wear', severity: 1 });
  });

  it('reads YAML by extension', () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      'batchMs: 200\nsites:\n  - id: s\n    lines:\n      - id: l\n        machines:\n          - id: m\n            type: fan\n            sensors: { rpm: { rate: 5 } }\n',
    );
    expect(loadPlant(file).sites[0]?.lines[0]?.machines[0]?.sensors['rpm']?.rate).toBe(5);
  });

  it('BAD INPUT - a wrong type names the field path', () => {
    const err = refusal((p) => (machine(p, 1, 1).sensors['vibration']!['rate'] = 'fast'));
    expect(err.code).toBe('PLANT_INVALID');
    expect(err.field).toBe('sites[0].lines[1].machines[1].sensors.vibration.rate');
    expect(err.message).toContain('sites[0].lines[1].machines[1].sensors.vibration.rate: expected number, got string');
  });

  it('BAD INPUT - a missing field, an unknown field, an unknown type', () => {
    expect(refusal((p) => delete (machine(p, 0, 0) as { type?: string }).type).message).toContain(
      'sites[0].lines[0].machines[0].type: required field missing',
    );
    expect(refusal((p) => (machine(p, 0, 0)['colour'] = 'red')).field).toBe('sites[0].lines[0].machines[0].colour');
    expect(refusal((p) => (machine(p, 0, 0)['type'] = 'toaster')).field).toBe('sites[0].lines[0].machines[0].type');
  });

  it('BAD INPUT - rules beyond shapes: duplicate ids, whole samples per batch, fault targets, sensor kinds', () => {
    expect(refusal((p) => (machine(p, 1, 0)['id'] = 'm-0')).message).toMatch(
      /machines\[0\]\.id: duplicate machine id "m-0"/,
    );
    expect(refusal((p) => (machine(p, 0, 0).sensors['temperature']!['rate'] = 15)).field).toBe(
      'sites[0].lines[0].machines[0].sensors.temperature.rate',
    );
    expect(refusal((p) => (machine(p, 0, 0)['faults'] = [{ kind: 'sensor-stuck', start: 1, duration: 2 }])).field).toBe(
      'sites[0].lines[0].machines[0].faults[0].sensor',
    );
    expect(
      refusal((p) => (machine(p, 0, 0)['faults'] = [{ kind: 'sensor-drift', sensor: 'nope', start: 1, duration: 2 }]))
        .message,
    ).toContain('no sensor "nope"');
    expect(
      refusal((p) => (machine(p, 0, 0)['faults'] = [{ kind: 'cavitation', start: 1, duration: 2 }])).message,
    ).toContain('cavitation needs a pump');
    expect(refusal((p) => (machine(p, 0, 0).sensors['probe'] = { rate: 10 })).field).toBe(
      'sites[0].lines[0].machines[0].sensors.probe.kind',
    );
    expect(
      refusal((p) => (machine(p, 0, 0)['faults'] = [{ kind: 'overheating', start: 1, duration: 2, severity: 3 }]))
        .field,
    ).toBe('sites[0].lines[0].machines[0].faults[0].severity');
  });

  it('BAD INPUT - unreadable and unparsable files', () => {
    expect(() => loadPlant(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'PLANT_NOT_FOUND' }));
    writeFileSync(join(dir, 'broken.json'), '{"sites": [');
    expect(() => loadPlant(join(dir, 'broken.json'))).toThrow(expect.objectContaining({ code: 'PLANT_PARSE' }));
  });
});
