import type { BatchView, MachineSimulator } from '../machine.js';
import type { PlantSimulation } from '../simulation.js';

export const SERVE_PROTOCOLS = ['opcua', 'modbus'] as const;
export type ServeProtocol = (typeof SERVE_PROTOCOLS)[number];

/** Samples per second from which a sensor is served as its RMS over a step (vibration), not its last sample. */
export const RMS_FROM_HZ = 1_000;

/** One machine served over a fieldbus: its sensors in a fixed order and their current values. */
export interface ServedMachine {
  machine: MachineSimulator;
  protocol: ServeProtocol;
  /** sensor names, in the plant file's order: Modbus register 2·i, OPC UA variable per name */
  sensors: string[];
  /** current value per sensor (NaN until the first step) */
  values: Float64Array;
  /** Modbus unit id (1..247), in serve order */
  unitId: number;
}

/**
 * Which machines the simulator serves over OPC UA or Modbus instead of publishing their raw batches
 * over MQTT, and their current values: each step, a slow sensor's last sample, a fast one's (≥ 1 kHz,
 * vibration) RMS over the step — what a PLC or a condition-monitoring module would hold in a register.
 */
export class ServedPlant {
  readonly machines: ServedMachine[] = [];
  readonly #byDevice = new Map<string, ServedMachine>();

  /** `protocols`: the servers started (`--serve`); machines marked in the plant file for another protocol stay on MQTT. */
  constructor(sim: PlantSimulation, protocols: readonly ServeProtocol[]) {
    const marked = new Map<string, ServeProtocol>();
    for (const site of sim.plant.sites) {
      for (const line of site.lines)
        for (const m of line.machines) if (m.serve ?? line.serve) marked.set(m.id, (m.serve ?? line.serve)!);
    }
    const units: Record<ServeProtocol, number> = { opcua: 0, modbus: 0 };
    for (const machine of sim.machines) {
      // nothing marked: --serve serves every machine over the first protocol listed
      const protocol = marked.size === 0 ? protocols[0] : marked.get(machine.address.device);
      if (!protocol || !protocols.includes(protocol)) continue;
      const sensors = Object.keys(machine.spec.sensors);
      const served = {
        machine,
        protocol,
        sensors,
        values: new Float64Array(sensors.length).fill(NaN),
        unitId: ++units[protocol],
      };
      this.machines.push(served);
      this.#byDevice.set(machine.address.device, served);
    }
  }

  of(protocol: ServeProtocol): ServedMachine[] {
    return this.machines.filter((m) => m.protocol === protocol);
  }

  /** Takes a step's batch: true when the machine is served (its batch is not published over MQTT). */
  update(view: BatchView): boolean {
    const served = this.#byDevice.get(view.address.device);
    if (!served) return false;
    for (const c of view.sensors) {
      const i = served.sensors.indexOf(c.name);
      if (i < 0 || c.values.length === 0) continue;
      served.values[i] = c.rate >= RMS_FROM_HZ ? rms(c.values) : (c.values[c.values.length - 1] as number);
    }
    return true;
  }
}

function rms(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] as number) ** 2;
  return Math.sqrt(s / values.length);
}
