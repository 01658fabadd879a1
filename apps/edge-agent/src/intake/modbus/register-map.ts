import { MODBUS_TYPES, registerType, type ModbusRegister, type ModbusTable, type ModbusType } from './modbus-config.js';

/** Largest read per request: 125 registers (FC 3/4), 2000 bits (FC 1/2) [Modbus Application Protocol V1.1b3, 6.1–6.4]. */
export const MAX_READ = { holding: 125, input: 125, coil: 2_000, discrete: 2_000 } as const satisfies Record<
  ModbusTable,
  number
>;

/** One entry of a poll, ready to decode. */
export interface PlannedValue {
  register: ModbusRegister;
  type: ModbusType;
  /** offset of its first register (or bit) in the block */
  at: number;
}

/** Contiguous registers of one table read in one request. */
export interface ReadBlock {
  table: ModbusTable;
  address: number;
  length: number;
  values: PlannedValue[];
}

/** Groups a poll's entries into as few requests as possible: contiguous entries of one table share a block. */
export function planReads(registers: ModbusRegister[]): ReadBlock[] {
  const sorted = [...registers].sort((a, b) => a.table.localeCompare(b.table) || a.address - b.address);
  const blocks: ReadBlock[] = [];
  for (const r of sorted) {
    const type = registerType(r);
    const width = MODBUS_TYPES[type];
    const last = blocks.at(-1);
    if (
      last &&
      last.table === r.table &&
      last.address + last.length === r.address &&
      last.length + width <= MAX_READ[r.table]
    ) {
      last.values.push({ register: r, type, at: last.length });
      last.length += width;
    } else {
      blocks.push({ table: r.table, address: r.address, length: width, values: [{ register: r, type, at: 0 }] });
    }
  }
  return blocks;
}

/** The 4 bytes of a 32-bit value (or 2 of a 16-bit one) in big-endian order, from registers as read. */
function bytesOf(words: number[], at: number, width: 1 | 2, r: ModbusRegister): Buffer {
  const ws =
    width === 1 ? [words[at]!] : r.wordOrder === 'big' ? [words[at]!, words[at + 1]!] : [words[at + 1]!, words[at]!];
  const buf = Buffer.alloc(width * 2);
  ws.forEach((w, i) => {
    if (r.byteOrder === 'big') buf.writeUInt16BE(w & 0xffff, i * 2);
    else buf.writeUInt16LE(w & 0xffff, i * 2);
  });
  return buf;
}

const READERS: Record<Exclude<ModbusType, 'bool'>, (b: Buffer) => number> = {
  int16: (b) => b.readInt16BE(0),
  uint16: (b) => b.readUInt16BE(0),
  int32: (b) => b.readInt32BE(0),
  uint32: (b) => b.readUInt32BE(0),
  float32: (b) => b.readFloatBE(0),
};

/** The engineering value of one entry: raw (per type, byte and word order) × scale + offset. */
export function decodeValue(v: PlannedValue, data: readonly (number | boolean)[]): number {
  const r = v.register;
  let raw: number;
  if (v.type === 'bool') raw = data[v.at] ? 1 : 0;
  else raw = READERS[v.type](bytesOf(data as number[], v.at, MODBUS_TYPES[v.type] as 1 | 2, r));
  return raw * r.scale + r.offset;
}

/** Registers encoding `value` (before scale and offset) as an entry of this type and order would read it (simulators, tests). */
export function encodeValue(
  r: Pick<ModbusRegister, 'byteOrder' | 'wordOrder'>,
  type: Exclude<ModbusType, 'bool'>,
  value: number,
): number[] {
  const width = MODBUS_TYPES[type];
  const buf = Buffer.alloc(width * 2);
  const writers: Record<Exclude<ModbusType, 'bool'>, () => void> = {
    int16: () => buf.writeInt16BE(Math.round(value), 0),
    uint16: () => buf.writeUInt16BE(Math.round(value), 0),
    int32: () => buf.writeInt32BE(Math.round(value), 0),
    uint32: () => buf.writeUInt32BE(Math.round(value), 0),
    float32: () => buf.writeFloatBE(value, 0),
  };
  writers[type]();
  const words: number[] = [];
  for (let i = 0; i < width; i++) words.push(r.byteOrder === 'big' ? buf.readUInt16BE(i * 2) : buf.readUInt16LE(i * 2));
  return width === 2 && r.wordOrder === 'little' ? words.reverse() : words;
}
