import { readFileSync } from 'node:fs';
import type { DeviceAddress } from './components.js';

interface PlantFile {
  sites: { id: string; lines: { id: string; machines: { id: string; type?: string }[] }[] }[];
}

/** Every machine of a plant file (JSON), grouped by line: one edge agent per line is the default layout. */
export function devicesByLine(plantFile: string): { line: string; devices: DeviceAddress[] }[] {
  const plant = JSON.parse(readFileSync(plantFile, 'utf8')) as PlantFile;
  return plant.sites.flatMap((site) =>
    site.lines.map((line) => ({
      line: `${site.id}-${line.id}`,
      devices: line.machines.map((m) => ({ site: site.id, line: line.id, device: m.id })),
    })),
  );
}
