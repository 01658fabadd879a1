import type { CameraFrame, DeviceAddress, FaultTruth } from '@takt/contracts';
import { CameraStation } from './camera/station.js';
import type { ScheduledFault } from './faults/schedule.js';
import { MachineSimulator, type BatchView } from './machine.js';
import { Ambient } from './physics/environment.js';
import type { PlantFile } from './plant/schema.js';

/** Receives what one simulated batch period produced, in time order. */
export interface SimSink {
  truth(address: DeviceAddress, message: FaultTruth): void;
  camera(address: DeviceAddress, frame: CameraFrame): void;
  /** the view's buffers are reused by the next step: serialise before returning */
  raw(batch: BatchView): void;
}

export interface SimulationOptions {
  /** seeds every random stream; default 1 */
  seed?: number | string;
  /** ms epoch of the first batch; default now, floored to a batch boundary */
  startMs?: number;
}

/** A whole plant: every machine and camera station, stepped one batch period at a time. */
export class PlantSimulation {
  readonly plant: PlantFile;
  readonly seed: number | string;
  readonly startMs: number;
  readonly batchMs: number;
  readonly machines: MachineSimulator[] = [];
  readonly cameras: CameraStation[] = [];
  readonly #truthSeq = new Map<string, number>();
  #now: number;

  constructor(plant: PlantFile, options: SimulationOptions = {}) {
    this.plant = plant;
    this.seed = options.seed ?? 1;
    this.batchMs = plant.batchMs;
    this.startMs = options.startMs ?? Math.floor(Date.now() / plant.batchMs) * plant.batchMs;
    this.#now = this.startMs;
    for (const site of plant.sites) {
      const ambient = new Ambient(site.ambient ?? plant.ambient, this.seed, site.id);
      for (const line of site.lines) {
        for (const spec of line.machines) {
          const address = { site: site.id, line: line.id, device: spec.id };
          if (spec.type === 'camera' && spec.camera)
            this.cameras.push(
              new CameraStation({ address, spec: spec.camera, seed: this.seed, startMs: this.startMs }),
            );
          else
            this.machines.push(
              new MachineSimulator({
                spec,
                site: site.id,
                line: line.id,
                ambient,
                seed: this.seed,
                startMs: this.startMs,
                batchMs: this.batchMs,
                ...(plant.randomFaults ? { randomFaults: plant.randomFaults } : {}),
              }),
            );
        }
      }
    }
  }

  /** ms epoch where the next step begins. */
  get now(): number {
    return this.#now;
  }

  #truthMessage(f: ScheduledFault, state: 'start' | 'end', ts: number): FaultTruth {
    const seq = this.#truthSeq.get(f.machineId) ?? 0;
    this.#truthSeq.set(f.machineId, seq + 1);
    return {
      schemaVersion: 1,
      deviceId: f.machineId,
      ts,
      seq,
      faultId: f.id,
      fault: f.kind,
      state,
      severity: f.severity,
      ...(f.sensor === undefined ? {} : { sensor: f.sensor }),
      note: `${f.kind} from ${new Date(f.start).toISOString()} to ${new Date(f.end).toISOString()}`,
    };
  }

  /** Simulates [now, now + batchMs): truth events, camera frames, then one raw batch per machine. */
  step(sink: SimSink): void {
    const from = this.#now;
    const to = from + this.batchMs;
    for (const m of this.machines) {
      for (const e of m.faults.eventsIn(from, to)) sink.truth(m.address, this.#truthMessage(e.fault, e.state, e.ts));
    }
    for (const c of this.cameras) for (const frame of c.framesIn(from, to)) sink.camera(c.address, frame);
    for (const m of this.machines) {
      const view = m.batch(from);
      if (view) sink.raw(view);
    }
    this.#now = to;
  }

  /** Every fault that started before `t` (default: now), over all machines, in start order. */
  faultsBefore(t = this.#now): ScheduledFault[] {
    return this.machines
      .flatMap((m) => m.faults.startedBefore(t))
      .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
  }
}
