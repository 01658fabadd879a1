import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { loadAgentConfig } from '../config.js';

const dir = tempDir('takt-fieldbus-config-');
afterAll(() => dir.remove());

function load(extra: Record<string, unknown>): unknown {
  const file = join(dir.path, 'edge.json');
  writeFileSync(file, JSON.stringify({ dataDir: dir.path, source: { url: 'mqtt://127.0.0.1:1883' }, ...extra }));
  try {
    return loadAgentConfig(file, {});
  } catch (err) {
    return err;
  }
}

const device = { site: 'plant-a', line: 'line-1', device: 'press-1' };

describe('BAD INPUT - takt-edge refuses a fieldbus config naming the entry (exit 2 in main)', () => {
  it('an overlapping register map names both entries', () => {
    const err = load({
      modbus: [
        {
          url: 'modbus://plc:502',
          devices: [
            {
              ...device,
              polls: [
                {
                  registers: [
                    { sensor: 'temperature', address: 10, type: 'float32' },
                    { sensor: 'current', address: 11 },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/modbus\.0\.devices\.0\.polls\.0\.registers\.1/);
    expect((err as Error).message).toMatch(
      /polls\[0\]\.registers\[1\] \(sensor "current", holding 11\.\.11\) overlaps polls\[0\]\.registers\[0\] \(sensor "temperature", holding 10\.\.11\)/,
    );
  });

  it('an unknown type names the entry', () => {
    const err = load({
      modbus: [
        {
          url: 'modbus://plc:502',
          devices: [{ ...device, polls: [{ registers: [{ sensor: 'temperature', address: 10, type: 'double' }] }] }],
        },
      ],
    });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/modbus\.0\.devices\.0\.polls\.0\.registers\.0\.type.*unknown type/);
  });

  it('a malformed node id and a security mode without a policy name their entries', () => {
    const bad = load({
      opcua: [
        {
          endpoint: 'opc.tcp://plc:4840',
          devices: [{ ...device, nodes: [{ sensor: 'temperature', nodeId: 'Press1.Temp' }] }],
        },
      ],
    });
    expect((bad as Error).message).toMatch(/opcua\.0\.devices\.0\.nodes\.0\.nodeId.*not a node id/);
    const insecure = load({
      opcua: [
        {
          endpoint: 'opc.tcp://plc:4840',
          securityMode: 'SignAndEncrypt',
          devices: [{ ...device, nodes: [{ sensor: 'temperature', nodeId: 'ns=2;s=T' }] }],
        },
      ],
    });
    expect((insecure as Error).message).toMatch(/opcua\.0\.securityPolicy.*both be None or both be set/);
  });

  it('a good config loads with its defaults', () => {
    const c = load({
      modbus: [
        {
          url: 'modbus://plc:502',
          devices: [{ ...device, polls: [{ registers: [{ sensor: 'temperature', address: 10, type: 'float32' }] }] }],
        },
      ],
    }) as ReturnType<typeof loadAgentConfig>;
    expect(c.modbus?.[0]).toMatchObject({
      timeoutMs: 1_000,
      retries: 1,
      maxInFlight: 1,
      batchMs: 1_000,
      devices: [
        {
          unitId: 1,
          polls: [
            {
              intervalMs: 1_000,
              registers: [{ table: 'holding', byteOrder: 'big', wordOrder: 'big', scale: 1, offset: 0 }],
            },
          ],
        },
      ],
    });
  });
});
