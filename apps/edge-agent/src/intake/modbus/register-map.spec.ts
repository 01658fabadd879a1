import { describe, expect, it } from 'vitest';
import { modbusSourceSchema, modbusRegisterSchema, type ModbusType } from './modbus-config.js';
import { decodeValue, encodeValue, planReads } from './register-map.js';

const reg = (r: Record<string, unknown>) => modbusRegisterSchema.parse(r);
const source = (registers: Record<string, unknown>[][]) => ({
  url: 'modbus://127.0.0.1:5020',
  devices: [{ site: 's', line: 'l', device: 'pump-1', polls: registers.map((r) => ({ registers: r })) }],
});

describe('register map', () => {
  it('decodes every type in every byte and word order, then scale and offset', () => {
    const cases: [ModbusType, number][] = [
      ['int16', -1234],
      ['uint16', 54321],
      ['int32', -123456789],
      ['uint32', 3_000_000_000],
      ['float32', 21.5],
    ];
    for (const [type, value] of cases) {
      for (const byteOrder of ['big', 'little'] as const) {
        for (const wordOrder of ['big', 'little'] as const) {
          const r = reg({ sensor: 'x', address: 0, type, byteOrder, wordOrder, scale: 0.5, offset: 10 });
          const words = encodeValue(r, type as Exclude<ModbusType, 'bool'>, value);
          expect(
            decodeValue({ register: r, type, at: 1 }, [0, ...words]),
            `${type} ${byteOrder}/${wordOrder}`,
          ).toBeCloseTo(value * 0.5 + 10, 3);
        }
      }
    }
  });

  it('reads the standard layouts: float32 21.5 is 0x41AC 0x0000 big-endian, int16 0xFFFB is -5', () => {
    expect(
      decodeValue(
        { register: reg({ sensor: 'x', address: 0, type: 'float32' }), type: 'float32', at: 0 },
        [0x41ac, 0x0000],
      ),
    ).toBe(21.5);
    expect(
      decodeValue(
        { register: reg({ sensor: 'x', address: 0, type: 'float32', wordOrder: 'little' }), type: 'float32', at: 0 },
        [0x0000, 0x41ac],
      ),
    ).toBe(21.5);
    expect(
      decodeValue({ register: reg({ sensor: 'x', address: 0, type: 'int16' }), type: 'int16', at: 0 }, [0xfffb]),
    ).toBe(-5);
    expect(
      decodeValue(
        { register: reg({ sensor: 'x', address: 0, type: 'uint16', byteOrder: 'little' }), type: 'uint16', at: 0 },
        [0x3412],
      ),
    ).toBe(0x1234);
    expect(
      decodeValue({ register: reg({ sensor: 'c', table: 'coil', address: 0 }), type: 'bool', at: 2 }, [
        false,
        false,
        true,
      ]),
    ).toBe(1);
  });

  it('reads contiguous entries of one table in one request, and no more than 125 registers in one', () => {
    const blocks = planReads([
      reg({ sensor: 'a', address: 10, type: 'float32' }),
      reg({ sensor: 'b', address: 12 }),
      reg({ sensor: 'c', address: 20 }),
      reg({ sensor: 'd', table: 'input', address: 12 }),
      reg({ sensor: 'e', table: 'coil', address: 3 }),
      reg({ sensor: 'f', table: 'coil', address: 4 }),
    ]);
    expect(
      blocks.map((b) => [b.table, b.address, b.length, b.values.map((v) => `${v.register.sensor}@${v.at}`)]),
    ).toEqual([
      ['coil', 3, 2, ['e@0', 'f@1']],
      ['holding', 10, 3, ['a@0', 'b@2']],
      ['holding', 20, 1, ['c@0']],
      ['input', 12, 1, ['d@0']],
    ]);
    const many = Array.from({ length: 64 }, (_, i) => reg({ sensor: `s${i}`, address: i * 2, type: 'uint32' }));
    expect(planReads(many).map((b) => b.length)).toEqual([124, 4]);
  });
});

describe('BAD INPUT - register map', () => {
  const issues = (config: unknown) => {
    const r = modbusSourceSchema.safeParse(config);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('an entry overlapping another names both entries and their sensors', () => {
    const out = issues(
      source([[{ sensor: 'temperature', address: 40, type: 'float32' }], [{ sensor: 'current', address: 41 }]]),
    );
    expect(out).toEqual([
      'devices.0.polls.1.registers.0: polls[1].registers[0] (sensor "current", holding 41..41) overlaps polls[0].registers[0] (sensor "temperature", holding 40..41)',
    ]);
  });

  it('the same address in two tables is no overlap', () => {
    expect(
      issues(
        source([
          [
            { sensor: 'a', address: 1 },
            { sensor: 'b', table: 'input', address: 1 },
          ],
        ]),
      ),
    ).toEqual([]);
  });

  it('an unknown type names the entry and the known types', () => {
    const out = issues(source([[{ sensor: 'a', address: 1, type: 'float64' }]]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^devices\.0\.polls\.0\.registers\.0\.type: unknown type: expected one of bool, int16, uint16, int32, uint32, float32/,
    );
  });

  it('a register type on a coil, a repeated sensor and a value past 65535 are refused with the entry', () => {
    expect(issues(source([[{ sensor: 'a', table: 'coil', address: 1, type: 'int16' }]]))).toEqual([
      'devices.0.polls.0.registers.0.type: polls[0].registers[0] (sensor "a"): type int16 cannot be read from the coil table',
    ]);
    expect(issues(source([[{ sensor: 'a', address: 1 }], [{ sensor: 'a', address: 2 }]]))).toEqual([
      'devices.0.polls.1.registers.0.sensor: polls[1].registers[0]: sensor "a" is already read by polls[0].registers[0]',
    ]);
    expect(issues(source([[{ sensor: 'a', address: 65_535, type: 'float32' }]]))).toEqual([
      'devices.0.polls.0.registers.0.address: polls[0].registers[0] (sensor "a"): float32 at 65535 runs past address 65535',
    ]);
  });

  it('a URL that is not modbus:// or rtu:// is refused', () => {
    expect(issues({ ...source([[{ sensor: 'a', address: 1 }]]), url: 'http://plc:502' })).toEqual([
      'url: expected modbus://host:port or rtu:///dev/…',
    ]);
  });
});
