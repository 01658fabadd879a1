import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimError } from '../errors.js';
import type { BatchView } from '../machine.js';
import type { PlantSimulation } from '../simulation.js';
import { startModbusServer } from './modbus-server.js';
import { startOpcuaServer } from './opcua-server.js';
import { serveMap, type ServeMap } from './serve-map.js';
import { SERVE_PROTOCOLS, ServedPlant, type ServeProtocol } from './served-plant.js';

export interface ServeOptions {
  /** protocols to serve, e.g. ['opcua', 'modbus'] */
  protocols: ServeProtocol[];
  /** address the servers listen on; default 127.0.0.1 */
  host?: string;
  /** default 4840; 0 picks a free port */
  opcuaPort?: number;
  /** default 5020; 0 picks a free port */
  modbusPort?: number;
  /** written with the endpoints and each line's edge intake config */
  mapFile?: string;
}

/** The plant's OPC UA and Modbus servers while a run lasts. */
export interface Serving {
  map: ServeMap;
  /** hand every raw batch here: true when its machine is served (and must not go out over MQTT) */
  take(view: BatchView): boolean;
  close(): Promise<void>;
}

/** `--serve opcua,modbus` → the protocols, or a SimError naming the bad one. */
export function parseServe(value: string): ServeProtocol[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((p) => !(SERVE_PROTOCOLS as readonly string[]).includes(p));
  if (bad !== undefined || list.length === 0)
    throw new SimError(
      'BAD_ARGUMENT',
      `--serve takes ${SERVE_PROTOCOLS.join(', ')} (comma-separated), got ${JSON.stringify(value)}`,
      'serve',
    );
  return [...new Set(list)] as ServeProtocol[];
}

/** Starts the servers for the machines the plant file (or `--serve` alone) marks, and writes the serve map. */
export async function startServing(sim: PlantSimulation, o: ServeOptions): Promise<Serving> {
  const host = o.host ?? '127.0.0.1';
  const served = new ServedPlant(sim, o.protocols);
  const pki = mkdtempSync(join(tmpdir(), 'takt-sim-opcua-'));
  const closers: (() => Promise<void>)[] = [async () => rmSync(pki, { recursive: true, force: true })];
  const endpoints: ServeMap['endpoints'] = {};
  try {
    if (o.protocols.includes('opcua')) {
      const s = await startOpcuaServer(served.of('opcua'), host, o.opcuaPort ?? 4840, pki);
      closers.unshift(s.close);
      endpoints.opcua = s.endpoint;
    }
    if (o.protocols.includes('modbus')) {
      const s = await startModbusServer(served.of('modbus'), host, o.modbusPort ?? 5020);
      closers.unshift(s.close);
      endpoints.modbus = s.url;
    }
  } catch (err) {
    for (const c of closers) await c().catch(() => undefined);
    throw new SimError('BAD_ARGUMENT', `cannot serve on ${host}: ${(err as Error).message}`, 'serve');
  }
  const map = serveMap(served, endpoints, sim.batchMs);
  if (o.mapFile) writeFileSync(o.mapFile, JSON.stringify(map, null, 2) + '\n');
  return {
    map,
    take: (view) => served.update(view),
    close: async () => {
      for (const c of closers) await c().catch(() => undefined);
    },
  };
}

/** The lines `takt-sim run` prints: each endpoint and what it serves, for UaExpert, mbpoll or a SCADA. */
export function describeServing(sim: PlantSimulation, serving: Serving): string[] {
  const out: string[] = [];
  for (const [protocol, endpoint] of Object.entries(serving.map.endpoints)) {
    const lines = Object.entries(serving.map.lines)
      .filter(([, l]) => l[protocol as ServeProtocol])
      .map(([name]) => name);
    out.push(`takt-sim: serving ${endpoint} (${protocol}: ${lines.join(', ') || 'no machines'})`);
  }
  void sim;
  return out;
}
