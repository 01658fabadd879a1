import { sensorNodeId } from './opcua-server.js';
import type { ServedMachine, ServedPlant } from './served-plant.js';

export interface ServeEndpoints {
  opcua?: string;
  modbus?: string;
}

/** What an edge agent needs to read one line's served machines: its `opcua` and `modbus` config entries. */
export interface LineIntake {
  opcua?: Record<string, unknown>[];
  modbus?: Record<string, unknown>[];
}

/** The serve map `--serve-map` writes: endpoints, and per `<site>/<line>` the edge intake config to read it. */
export interface ServeMap {
  endpoints: ServeEndpoints;
  lines: Record<string, LineIntake>;
}

const device = (m: ServedMachine) => ({
  site: m.machine.address.site,
  line: m.machine.address.line,
  device: m.machine.address.device,
  machineType: m.machine.spec.type,
});

/** Edge config entries (deploy/edge/README.md, "Fieldbus intake") that read the served machines at the simulation's step rate. */
export function serveMap(served: ServedPlant, endpoints: ServeEndpoints, stepMs: number): ServeMap {
  const lines: Record<string, LineIntake> = {};
  const line = (m: ServedMachine) => (lines[`${m.machine.address.site}/${m.machine.address.line}`] ??= {});
  for (const m of served.machines) {
    const l = line(m);
    if (m.protocol === 'opcua' && endpoints.opcua) {
      const entry = (l.opcua ??= [
        {
          endpoint: endpoints.opcua,
          trustUnknownServers: true,
          publishingIntervalMs: stepMs,
          batchMs: 1_000,
          reconnectMaxMs: 2_000,
          devices: [],
        },
      ])[0]!;
      (entry['devices'] as unknown[]).push({
        ...device(m),
        samplingIntervalMs: stepMs,
        nodes: m.sensors.map((sensor) => ({ sensor, nodeId: sensorNodeId(m, sensor) })),
      });
    }
    if (m.protocol === 'modbus' && endpoints.modbus) {
      const entry = (l.modbus ??= [
        { url: endpoints.modbus, timeoutMs: 1_000, reconnectMaxMs: 2_000, batchMs: 1_000, devices: [] },
      ])[0]!;
      const registers = m.sensors.map((sensor, i) => ({ sensor, address: 2 * i, type: 'float32' }));
      (entry['devices'] as unknown[]).push({
        ...device(m),
        unitId: m.unitId,
        polls: [{ name: 'sensors', intervalMs: stepMs, registers }],
      });
    }
  }
  return { endpoints, lines };
}
