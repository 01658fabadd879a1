import Modbus from 'modbus-serial';
import type { ServedMachine } from './served-plant.js';

/** Modbus exception 2, illegal data address [Modbus Application Protocol V1.1b3, 7]. */
const ILLEGAL_ADDRESS = Object.assign(new Error('illegal data address'), { modbusErrorCode: 0x02 });
/** Modbus exception 11, gateway target device failed to respond: a unit id nobody serves. */
const NO_SUCH_UNIT = Object.assign(new Error('no such unit'), { modbusErrorCode: 0x0b });

export interface ServingModbus {
  url: string;
  close(): Promise<void>;
}

/** The two registers of a float32, high word first (ABCD, the Modbus convention). */
function floatWords(value: number): [number, number] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(value, 0);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

/**
 * A Modbus TCP server for the served machines: unit id per machine, sensor `i` as a float32 in holding
 * registers 2·i and 2·i+1 (also readable as input registers). A read past the map answers exception 2.
 */
export async function startModbusServer(machines: ServedMachine[], host: string, port: number): Promise<ServingModbus> {
  const byUnit = new Map(machines.map((m) => [m.unitId, m]));
  const read = (
    addr: number,
    length: number,
    unitID: number,
    cb: (err: Error | null, values: number[]) => void,
  ): void => {
    const m = byUnit.get(unitID);
    if (!m) return cb(NO_SUCH_UNIT, []);
    if (addr < 0 || addr + length > m.sensors.length * 2) return cb(ILLEGAL_ADDRESS, []);
    const out: number[] = [];
    for (let a = addr; a < addr + length; a++) out.push(floatWords(m.values[a >> 1] ?? NaN)[a & 1]!);
    cb(null, out);
  };
  const server = new Modbus.ServerTCP(
    {
      getMultipleHoldingRegisters: read,
      getMultipleInputRegisters: read,
      getHoldingRegister: (a: number, u: number, cb: (e: Error | null, v: number) => void) =>
        read(a, 1, u, (e, v) => cb(e, v[0] ?? 0)),
    },
    { host, port, unitID: 255 },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', reject);
  });
  const address = (server as unknown as { _server: import('node:net').Server })._server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `modbus://${host}:${actual}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
