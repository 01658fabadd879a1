import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpReady } from '@takt/testing';
import { parsePlant } from '../plant/load.js';
import { PlantSimulation } from '../simulation.js';
import { EXAMPLE_START_MS } from '../test-plants.js';
import { parseServe, startServing, type Serving } from './serving.js';

const MBPOLL = '/usr/bin/mbpoll';
const run = promisify(execFile);

const plant = parsePlant(
  {
    sites: [
      {
        id: 'plant-a',
        lines: [
          {
            id: 'line-u',
            serve: 'opcua',
            machines: [
              { id: 'pump-1', type: 'pump', sensors: { vibration: { rate: 2000 }, temperature: { rate: 10 } } },
            ],
          },
          {
            id: 'line-m',
            serve: 'modbus',
            machines: [
              {
                id: 'motor-1',
                type: 'motor',
                sensors: { temperature: { rate: 10 }, current: { rate: 10 }, rpm: { rate: 10 } },
              },
              { id: 'pump-2', type: 'pump', sensors: { pressure: { rate: 50 } } },
            ],
          },
          { id: 'line-q', machines: [{ id: 'fan-1', type: 'fan', sensors: { temperature: { rate: 10 } } }] },
        ],
      },
    ],
  },
  'serve-test',
);

describe('takt-sim serving a plant over OPC UA and Modbus', () => {
  const sim = new PlantSimulation(plant, { seed: 3, startMs: EXAMPLE_START_MS });
  let serving: Serving;
  const published: string[] = [];
  const last = new Map<string, Record<string, number[]>>();

  beforeAll(async () => {
    serving = await startServing(sim, { protocols: ['opcua', 'modbus'], opcuaPort: 0, modbusPort: 0 });
    for (let i = 0; i < 3; i++) {
      sim.step({
        raw: (v) => {
          last.set(v.address.device, Object.fromEntries(v.sensors.map((c) => [c.name, Array.from(c.values)])));
          if (!serving.take(v)) published.push(v.address.device);
        },
        truth: () => undefined,
        camera: () => undefined,
      });
    }
  }, 60_000);
  afterAll(async () => serving?.close());

  it('serves the marked lines and leaves the others on MQTT', () => {
    expect([...new Set(published)]).toEqual(['fan-1']);
    expect(Object.keys(serving.map.lines).sort()).toEqual(['plant-a/line-m', 'plant-a/line-u']);
  });

  it('maps each machine to an edge intake config: node ids by namespace URI, float32 register pairs by unit', () => {
    const u = serving.map.lines['plant-a/line-u']!.opcua![0]!;
    expect(u['endpoint']).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+\/takt$/);
    expect(u['devices']).toEqual([
      expect.objectContaining({
        device: 'pump-1',
        machineType: 'pump',
        samplingIntervalMs: 100,
        nodes: [
          { sensor: 'vibration', nodeId: 'nsu=urn:takt:plant;s=plant-a.line-u.pump-1.vibration' },
          { sensor: 'temperature', nodeId: 'nsu=urn:takt:plant;s=plant-a.line-u.pump-1.temperature' },
        ],
      }),
    ]);
    const m = serving.map.lines['plant-a/line-m']!.modbus![0]!;
    expect(m['url']).toMatch(/^modbus:\/\/127\.0\.0\.1:\d+$/);
    expect((m['devices'] as { device: string; unitId: number }[]).map((d) => [d.device, d.unitId])).toEqual([
      ['motor-1', 1],
      ['pump-2', 2],
    ]);
  });

  it('the OPC UA endpoint accepts connections', async () => {
    const port = Number(/:(\d+)\//.exec(serving.map.endpoints.opcua!)![1]);
    expect(await tcpReady(port)).toBe(true);
  });

  it.skipIf(!existsSync(MBPOLL))(
    'mbpoll reads the last sample of each slow sensor as float32 from the unit of its machine; past the map is exception 2',
    async () => {
      const port = /:(\d+)$/.exec(serving.map.endpoints.modbus!)![1]!;
      const { stdout } = await run(MBPOLL, [
        '-m',
        'tcp',
        '-p',
        port,
        '-a',
        '1',
        '-0',
        '-1',
        '-r',
        '0',
        '-c',
        '3',
        '-t',
        '4:float',
        '-B',
        '127.0.0.1',
      ]);
      const read = [...stdout.matchAll(/^\[(\d+)\]:\s+(-?[\d.]+)/gm)].map((r) => Number(r[2]));
      const motor = last.get('motor-1')!;
      const want = ['temperature', 'current', 'rpm'].map((s) => motor[s]!.at(-1)!);
      expect(read).toHaveLength(3);
      read.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 2));
      const past = await run(MBPOLL, [
        '-m',
        'tcp',
        '-p',
        port,
        '-a',
        '2',
        '-0',
        '-1',
        '-r',
        '2',
        '-c',
        '1',
        '-t',
        '4:float',
        '-B',
        '127.0.0.1',
      ]).then(
        (r) => r.stdout + r.stderr,
        (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
      );
      expect(past).toMatch(/Illegal data address/i);
    },
  );

  it('BAD INPUT - an unknown protocol is refused naming it', () => {
    expect(() => parseServe('opcua,profinet')).toThrow(
      /--serve takes opcua, modbus \(comma-separated\), got "opcua,profinet"/,
    );
  });
});
