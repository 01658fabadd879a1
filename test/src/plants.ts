import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SmallPlantOptions {
  /** sites, each with lines of machine ids; machines alternate pump / motor */
  layout: Record<string, Record<string, string[]>>;
  /** faults by machine id: kind and start second */
  faults?: Record<string, { kind: string; start: number; duration: number; severity?: number; rampS?: number }>;
  batchMs?: number;
  /** s, every machine's production-cycle period (the simulator's default is 120) */
  loadCycleS?: number;
}

const SENSORS = {
  pump: {
    vibration: { rate: 2000 },
    temperature: { rate: 10 },
    current: { rate: 10 },
    pressure: { rate: 50 },
    flow: { rate: 10 },
  },
  motor: { vibration: { rate: 2000 }, temperature: { rate: 10 }, current: { rate: 10 }, rpm: { rate: 10 } },
};

/** Writes a small plant file for end-to-end tests and returns its path. */
export function writeSmallPlant(dir: string, options: SmallPlantOptions): string {
  let i = 0;
  const plant = {
    name: 'e2e',
    batchMs: options.batchMs ?? 100,
    sites: Object.entries(options.layout).map(([site, lines]) => ({
      id: site,
      lines: Object.entries(lines).map(([line, machines]) => ({
        id: line,
        machines: machines.map((id) => {
          const type = i++ % 2 === 0 ? 'pump' : 'motor';
          const fault = options.faults?.[id];
          return {
            id,
            type,
            sensors: SENSORS[type],
            ...(options.loadCycleS ? { loadCycleS: options.loadCycleS } : {}),
            ...(fault ? { faults: [{ id: `${id}-fault`, ...fault }] } : {}),
          };
        }),
      })),
    })),
  };
  const file = join(dir, 'plant.json');
  writeFileSync(file, JSON.stringify(plant, null, 2));
  return file;
}
