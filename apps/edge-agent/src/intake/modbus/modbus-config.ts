import { z } from 'zod';
import { idSchema, nameSchema } from '@takt/contracts';
import { fieldbusDeviceShape } from '../fieldbus-device.js';

/** Value types a register map entry can name, and how many 16-bit registers each takes. */
export const MODBUS_TYPES = { bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2 } as const;
export type ModbusType = keyof typeof MODBUS_TYPES;
/** Modbus tables: holding registers (FC 3), input registers (FC 4), coils (FC 1), discrete inputs (FC 2). */
export const MODBUS_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

const typeNames = Object.keys(MODBUS_TYPES) as [ModbusType, ...ModbusType[]];

/** One value in a device's register map. */
export const modbusRegisterSchema = z.strictObject({
  /** sensor name the value is published under (e.g. `temperature`) */
  sensor: nameSchema,
  /** table; default holding */
  table: z.enum(MODBUS_TABLES).default('holding'),
  /** zero-based address in the table (register 40001 is holding address 0) */
  address: z.number().int().min(0).max(65_535),
  /** value type; default uint16 for registers, bool for coils and discrete inputs */
  type: z.enum(typeNames, { message: `unknown type: expected one of ${typeNames.join(', ')}` }).optional(),
  /** byte order inside each register; default big (Modbus standard) */
  byteOrder: z.enum(['big', 'little']).default('big'),
  /** order of the two registers of a 32-bit value; big = high word first (default) */
  wordOrder: z.enum(['big', 'little']).default('big'),
  /** published value = raw × scale + offset; default 1 */
  scale: z.number().finite().default(1),
  /** default 0 */
  offset: z.number().finite().default(0),
  /** unit carried in the raw batch, e.g. degC */
  unit: z.string().min(1).max(16).optional(),
});
export type ModbusRegister = z.output<typeof modbusRegisterSchema>;

/** Registers read together at one rate. */
export const modbusPollSchema = z.strictObject({
  /** name used in logs and errors; default `poll-<index>` */
  name: idSchema.optional(),
  /** ms between polls; the series' rate is 1000 / intervalMs; default 1000 */
  intervalMs: z.number().int().min(10).max(3_600_000).default(1_000),
  registers: z.array(modbusRegisterSchema).min(1).max(64),
});
export type ModbusPoll = z.output<typeof modbusPollSchema>;

/** One device behind a Modbus server (a PLC, a meter, a gateway's unit). */
export const modbusDeviceSchema = z
  .strictObject({
    ...fieldbusDeviceShape,
    /** Modbus unit id (slave address); default 1 */
    unitId: z.number().int().min(0).max(255).default(1),
    polls: z.array(modbusPollSchema).min(1).max(16),
  })
  .superRefine(checkRegisterMap);
export type ModbusDevice = z.output<typeof modbusDeviceSchema>;

/** One Modbus TCP connection (`modbus://host:port`) or serial line (`rtu:///dev/ttyUSB0?baudRate=19200`). */
export const modbusSourceSchema = z.strictObject({
  url: z.string().regex(/^(modbus|tcp):\/\/[^\s/:]+(:\d{1,5})?\/?$|^rtu:\/\/\/\S+$/, {
    message: 'expected modbus://host:port or rtu:///dev/…',
  }),
  /** ms to wait for a response; default 1000 */
  timeoutMs: z.number().int().min(10).max(60_000).default(1_000),
  /** requests outstanding at once on the connection; default 1 (most PLCs, and every serial line, answer one at a time; a TCP gateway may take more) */
  maxInFlight: z.number().int().min(1).max(16).default(1),
  /** extra tries of a read that timed out before its slot counts as missed; default 1 */
  retries: z.number().int().min(0).max(10).default(1),
  /** ms to wait before the first reconnect; doubles per failed try; default 500 */
  reconnectMinMs: z.number().int().min(10).default(500),
  /** ms between reconnect tries at most; default 30000 */
  reconnectMaxMs: z.number().int().min(10).default(30_000),
  /** ms of samples per raw batch; default 1000 */
  batchMs: z.number().int().min(10).max(60_000).default(1_000),
  devices: z.array(modbusDeviceSchema).min(1).max(247),
});
export type ModbusSourceConfig = z.output<typeof modbusSourceSchema>;

/** The type an entry reads as: its own, or the table's default. */
export function registerType(r: { table: ModbusTable; type?: ModbusType | undefined }): ModbusType {
  return r.type ?? (r.table === 'coil' || r.table === 'discrete' ? 'bool' : 'uint16');
}

type DeviceInput = z.output<z.ZodObject<{ polls: z.ZodArray<typeof modbusPollSchema> }>>;

/** Refuses a register map whose entries overlap, repeat a sensor, or put a type in the wrong table; the issue names both entries. */
function checkRegisterMap(device: DeviceInput, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  const taken: { table: ModbusTable; from: number; to: number; where: string; sensor: string }[] = [];
  device.polls.forEach((poll, p) =>
    poll.registers.forEach((r, i) => {
      const where = `polls[${p}].registers[${i}]`;
      const path = ['polls', p, 'registers', i];
      const type = registerType(r);
      const bits = r.table === 'coil' || r.table === 'discrete';
      if (bits !== (type === 'bool'))
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'type'],
          message: `${where} (sensor "${r.sensor}"): type ${type} cannot be read from the ${r.table} table`,
        });
      const to = r.address + MODBUS_TYPES[type] - 1;
      if (to > 65_535)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'address'],
          message: `${where} (sensor "${r.sensor}"): ${type} at ${r.address} runs past address 65535`,
        });
      const dup = seen.get(r.sensor);
      if (dup)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'sensor'],
          message: `${where}: sensor "${r.sensor}" is already read by ${dup}`,
        });
      seen.set(r.sensor, where);
      const clash = taken.find((t) => t.table === r.table && t.from <= to && r.address <= t.to);
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${where} (sensor "${r.sensor}", ${r.table} ${r.address}..${to}) overlaps ${clash.where} (sensor "${clash.sensor}", ${clash.table} ${clash.from}..${clash.to})`,
        });
      }
      taken.push({ table: r.table, from: r.address, to, where, sensor: r.sensor });
    }),
  );
}
