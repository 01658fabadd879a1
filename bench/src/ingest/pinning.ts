import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Which CPUs each side gets in the scale-out layout: influxd alone on one, the pipeline on the other. */
export interface CoreLayout {
  /** taskset CPU list for influxd, e.g. "0" */
  influxd: string;
  /** taskset CPU list for takt-broker, takt-ingest and the load generator (this process), e.g. "1" */
  pipeline: string;
}

/** influxd on CPU 0, everything else on CPU 1; undefined on a machine with one CPU or without taskset. */
export function scaleOutLayout(): CoreLayout | undefined {
  if (cpus().length < 2) return undefined;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { influxd: '0', pipeline: '1' };
}

/** Every CPU of the machine, to undo a pin. */
export const ALL_CPUS = `0-${cpus().length - 1}`;

/** Pins every thread of `pid` (taskset -a: Go's and libuv's too; threads started later inherit it) to `cpuList`. */
export function pin(pid: number | undefined, cpuList: string): void {
  if (pid === undefined) throw new Error('cannot pin a process without a pid');
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

/** Runs `body` with each process pinned as given, then gives every one all CPUs back. */
export async function pinned<T>(pins: [number | undefined, string][], body: () => Promise<T>): Promise<T> {
  for (const [pid, cpuList] of pins) pin(pid, cpuList);
  try {
    return await body();
  } finally {
    for (const [pid] of pins) {
      try {
        pin(pid, ALL_CPUS);
      } catch {
        // the process has exited meanwhile
      }
    }
  }
}
