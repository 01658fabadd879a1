import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat; NaN when unreadable. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** CPU seconds this process has used so far (user + system). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Reads the CPU time of named processes at start and at `delta()`. */
export class CpuMeter {
  readonly #pids: Record<string, number | undefined>;
  readonly #start: Record<string, number>;

  /** `pids`: name → process id; the name `self` reads this process. */
  constructor(pids: Record<string, number | undefined>) {
    this.#pids = pids;
    this.#start = this.#read();
  }

  #read(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.#pids).map(([name, pid]) => [name, name === 'self' ? ownCpuSeconds() : cpuSeconds(pid)]),
    );
  }

  /** CPU seconds each process used since construction. */
  delta(): Record<string, number> {
    const now = this.#read();
    return Object.fromEntries(
      Object.keys(this.#pids).map((name) => [name, (now[name] as number) - (this.#start[name] as number)]),
    );
  }
}
