import { readFileSync } from 'node:fs';
import type { Victim } from './chaos.js';

interface Sample {
  t: number;
  pid: number;
  rssBytes: number;
}

/** Resident memory of a process, bytes; undefined when it is not running. */
function rssOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Memory growth of one process over its longest uninterrupted run (a restart starts a new one). */
export interface MemoryGrowth {
  name: string;
  /** least-squares slope of RSS over that run, MiB per hour */
  mibPerHour: number;
  fromMiB: number;
  toMiB: number;
  minutes: number;
}

/** Samples the RSS of every victim every `everyMs` until stopped. */
export class MemorySampler {
  readonly #samples = new Map<string, Sample[]>();
  readonly #timer: NodeJS.Timeout;

  constructor(victims: readonly Victim[], everyMs = 10_000) {
    this.#timer = setInterval(() => {
      for (const v of victims) {
        const pid = v.pid();
        const rss = rssOf(pid);
        if (pid && rss) this.#samples.set(v.name, [...(this.#samples.get(v.name) ?? []), { t: Date.now(), pid, rssBytes: rss }]);
      }
    }, everyMs);
  }

  stop(): MemoryGrowth[] {
    clearInterval(this.#timer);
    return [...this.#samples].flatMap(([name, samples]) => {
      const run = longestRun(samples);
      return run.length < 3 ? [] : [growth(name, run)];
    });
  }
}

function longestRun(samples: Sample[]): Sample[] {
  let best: Sample[] = [];
  let cur: Sample[] = [];
  for (const s of samples) {
    if (cur.length > 0 && (cur[0] as Sample).pid !== s.pid) cur = [];
    cur.push(s);
    if (cur.length > best.length) best = cur;
  }
  return best;
}

function growth(name: string, run: Sample[]): MemoryGrowth {
  const t0 = (run[0] as Sample).t;
  const xs = run.map((s) => (s.t - t0) / 3_600_000);
  const ys = run.map((s) => s.rssBytes / 2 ** 20);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return { name, mibPerHour: Math.round(slope * 10) / 10, fromMiB: Math.round(ys[0] as number), toMiB: Math.round(ys[ys.length - 1] as number), minutes: Math.round((xs[xs.length - 1] as number) * 60) };
}
