import type { MachineSpec, PlantFile, PlantFileInput } from './plant/schema.js';
import { parsePlant } from './plant/load.js';
import { PlantSimulation } from './simulation.js';
import type { CameraFrame, FaultTruth, RawSampleBatch } from '@takt/contracts';
import { rawMessage } from './output/raw-json.js';

/** A fixed simulated clock start for reproducible examples: 2026-01-01T00:00:00Z. */
export const EXAMPLE_START_MS = 1_767_225_600_000;

/** A one-machine plant around `machine` (plant-file input form). */
export function singleMachinePlant(
  machine: Partial<PlantFileInput['sites'][number]['lines'][number]['machines'][number]> &
    Pick<MachineSpec, 'id' | 'type'>,
): PlantFile {
  return parsePlant({ sites: [{ id: 'site-1', lines: [{ id: 'line-1', machines: [machine] }] }] }, 'example');
}

export interface Recorded {
  raw: RawSampleBatch[];
  truth: FaultTruth[];
  camera: CameraFrame[];
}

/** Simulates `seconds` of `plant` in memory and keeps every message. */
export function simulate(
  plant: PlantFile,
  seconds: number,
  seed: number | string = 1,
  startMs = EXAMPLE_START_MS,
): Recorded {
  const sim = new PlantSimulation(plant, { seed, startMs });
  const out: Recorded = { raw: [], truth: [], camera: [] };
  const end = startMs + seconds * 1000;
  while (sim.now < end) {
    sim.step({
      raw: (v) => out.raw.push(rawMessage(v)),
      truth: (_a, m) => out.truth.push(m),
      camera: (_a, f) => out.camera.push(f),
    });
  }
  return out;
}

/** The samples of `sensor` of `device` in batches starting within [fromS, toS) after `EXAMPLE_START_MS`. */
export function samples(rec: Recorded, device: string, sensor: string, fromS: number, toS: number): number[] {
  return rec.raw
    .filter(
      (b) => b.deviceId === device && b.t0 >= EXAMPLE_START_MS + fromS * 1000 && b.t0 < EXAMPLE_START_MS + toS * 1000,
    )
    .flatMap((b) => b.sensors[sensor]?.values ?? []);
}
