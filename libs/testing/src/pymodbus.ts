import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ManagedProcess } from '@takt/runtime';
import { tcpReady } from './servers.js';

/** Debian's interpreter: python3-pymodbus installs into its dist-packages, not into a pyenv or venv. */
const PYTHON = process.env['TAKT_PYTHON3'] ?? '/usr/bin/python3';

/**
 * A Modbus TCP server from pymodbus (3.x): 1000 of each table, zero-based addresses, input register
 * `i` holds `i` (input registers cannot be written over Modbus), holding registers and coils start 0.
 * A read past 1000 answers exception 2 (illegal data address).
 */
const SERVER_PY = `
import asyncio, sys, logging
from pymodbus.server.async_io import ModbusTcpServer
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
logging.basicConfig(level=logging.WARNING)
port = int(sys.argv[1])
store = ModbusSlaveContext(
    di=ModbusSequentialDataBlock(0, [0] * 1000),
    co=ModbusSequentialDataBlock(0, [0] * 1000),
    hr=ModbusSequentialDataBlock(0, [0] * 1000),
    ir=ModbusSequentialDataBlock(0, list(range(1000))),
    zero_mode=True,
)
# reuse_address: a restart on the same port must not wait for the killed server's TIME_WAIT sockets;
# serve_forever awaited here, so a failed bind ends the process instead of dying in a task
async def main():
    server = ModbusTcpServer(ModbusServerContext(slaves=store, single=True), address=("127.0.0.1", port), allow_reuse_address=True)
    await server.serve_forever()
asyncio.run(main())
`;

/** Why pymodbus cannot run here, or undefined when it can (tests skip with this reason). */
export function pymodbusMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3-pymodbus)`;
  if (
    !['/usr/lib/python3/dist-packages/pymodbus', '/usr/local/lib/python3/dist-packages/pymodbus'].some((p) =>
      existsSync(p),
    ) &&
    !process.env['TAKT_PYTHON3']
  ) {
    return 'python3-pymodbus is not installed (apt-get install python3-pymodbus)';
  }
  return undefined;
}

export interface PymodbusServer {
  url: string;
  port: number;
  process: ManagedProcess;
  close(): Promise<void>;
}

/** Starts a private pymodbus TCP server on a free loopback port (the independent Modbus peer in tests). */
export async function startPymodbus(): Promise<PymodbusServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'takt-pymodbus-'));
  const script = join(dir, 'server.py');
  writeFileSync(script, SERVER_PY);
  const proc = new ManagedProcess({
    name: `pymodbus on ${port}`,
    command: PYTHON,
    args: [script, String(port)],
    logFile: process.env['TAKT_PYMODBUS_LOG'],
    ready: () => tcpReady(port),
    readyTimeoutMs: 20_000,
    stopTimeoutMs: 3_000,
  });
  await proc.start();
  return {
    url: `modbus://127.0.0.1:${port}`,
    port,
    process: proc,
    close: async () => {
      await proc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
