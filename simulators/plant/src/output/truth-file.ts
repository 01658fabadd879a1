import { writeFileSync } from 'node:fs';
import type { ScheduledFault } from '../faults/schedule.js';

/** Ground truth as CSV: `machine,fault,start,end` (ms epoch), one row per fault, in start order. */
export function truthCsvText(faults: readonly ScheduledFault[]): string {
  return (
    ['machine,fault,start,end', ...faults.map((f) => `${f.machineId},${f.kind},${f.start},${f.end}`)].join('\n') + '\n'
  );
}

export function truthCsv(file: string, faults: readonly ScheduledFault[]): void {
  writeFileSync(file, truthCsvText(faults));
}
