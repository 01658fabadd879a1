import { readFileSync } from 'node:fs';
import type { DeviceAddress } from './components.js';

/** What `takt-sim run --serve-map` writes: endpoints, and per `<site>/<line>` the edge intake config that reads it. */
export interface ServeMap {
  endpoints: { opcua?: string; modbus?: string };
  lines: Record<string, { opcua?: unknown[]; modbus?: unknown[] }>;
}

/** Fixed ports of the simulator's servers (fixed, so a restarted simulator comes back where the agents dial). */
export interface ServePorts {
  opcua: number;
  modbus: number;
  mapFile: string;
}

/** The simulator's arguments that serve the plant file's marked lines. */
export function serveArgs(p: ServePorts): string[] {
  return [
    '--serve',
    'opcua,modbus',
    '--opcua-port',
    String(p.opcua),
    '--modbus-port',
    String(p.modbus),
    '--serve-map',
    p.mapFile,
  ];
}

export function readServeMap(file: string): ServeMap {
  return JSON.parse(readFileSync(file, 'utf8')) as ServeMap;
}

/** The `opcua`/`modbus` entries of an edge agent's config for the devices it serves (empty for an MQTT line). */
export function lineIntake(map: ServeMap | undefined, devices: DeviceAddress[]): Record<string, unknown> {
  const keys = new Set(devices.map((d) => `${d.site}/${d.line}`));
  const out: { opcua?: unknown[]; modbus?: unknown[] } = {};
  for (const key of keys) {
    const l = map?.lines[key];
    if (l?.opcua) (out.opcua ??= []).push(...l.opcua);
    if (l?.modbus) (out.modbus ??= []).push(...l.modbus);
  }
  return out;
}
