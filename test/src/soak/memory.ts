import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A process whose memory is sampled (a victim of the chaos schedule, or one that is never killed). */
export interface Sampled {
  name: string;
  pid(): number | undefined;
}

interface Sample {
  t: number;
  pid: number;
  rssBytes: number;
}

/** One line the probe (probe.mjs) writes every 10 s into a Node process's `<pid>.jsonl`. */
interface ProbeSample {
  t: number;
  lagP99Ms: number;
  lagMaxMs: number;
  lagP99TotalMs: number;
  rss: number;
  heapUsed: number;
  heapAfterGc?: number;
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

/** Memory of one process over its longest uninterrupted run (a restart starts a new one), warm-up left out. */
export interface MemoryGrowth {
  name: string;
  /** minutes of its longest run, and of the part after warm-up (the first third) the slopes cover */
  minutes: number;
  measuredMinutes: number;
  /** least-squares slope of RSS after warm-up, MiB per hour */
  mibPerHour: number;
  fromMiB: number;
  toMiB: number;
  /** least-squares slope of the V8 heap used right after a full GC, after warm-up, MiB per hour (Node processes) */
  heapAfterGcMibPerHour?: number;
  heapAfterGcFromMiB?: number;
  heapAfterGcToMiB?: number;
  /** runs (process lives) seen */
  runs: number;
}

/** Event-loop delay of one process (Node processes only), from the probe. */
export interface LoopLag {
  name: string;
  /** p99 over its longest run, ms */
  p99Ms: number;
  /** the highest whole-run p99 of any of its runs, ms */
  worstRunP99Ms: number;
  /** the highest p99 of any 10 s interval, ms (a restart's start-up is in there) */
  worstIntervalP99Ms: number;
  /** the longest single delay seen, ms */
  maxMs: number;
}

/** Samples the RSS of every process every `everyMs` until stopped; reads what the probe wrote. */
export class MemorySampler {
  readonly #samples = new Map<string, Sample[]>();
  readonly #timer: NodeJS.Timeout;
  readonly #probeDir: string | undefined;

  constructor(processes: readonly Sampled[], everyMs = 10_000, probeDir?: string) {
    this.#probeDir = probeDir;
    this.#timer = setInterval(() => {
      for (const v of processes) {
        const pid = v.pid();
        const rss = rssOf(pid);
        if (pid && rss) {
          let list = this.#samples.get(v.name);
          if (!list) this.#samples.set(v.name, (list = []));
          list.push({ t: Date.now(), pid, rssBytes: rss });
        }
      }
    }, everyMs);
  }

  stop(): { memory: MemoryGrowth[]; lag: LoopLag[] } {
    clearInterval(this.#timer);
    const memory: MemoryGrowth[] = [];
    const lag: LoopLag[] = [];
    for (const [name, samples] of this.#samples) {
      const runs = splitRuns(samples);
      const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), [] as Sample[]);
      if (longest.length >= 6) memory.push(this.#growth(name, longest, runs.length));
      const probes = runs.map((r) => this.#probe((r[0] as Sample).pid)).filter((p) => p.length > 0);
      const main = this.#probe((longest[0] as Sample | undefined)?.pid ?? 0);
      if (probes.length > 0 && main.length > 0) {
        lag.push({
          name,
          p99Ms: (main[main.length - 1] as ProbeSample).lagP99TotalMs,
          worstRunP99Ms: Math.max(...probes.map((p) => (p[p.length - 1] as ProbeSample).lagP99TotalMs)),
          worstIntervalP99Ms: Math.max(...probes.flat().map((s) => s.lagP99Ms)),
          maxMs: Math.max(...probes.flat().map((s) => s.lagMaxMs)),
        });
      }
    }
    return { memory, lag };
  }

  #probe(pid: number): ProbeSample[] {
    const file = this.#probeDir ? join(this.#probeDir, `${pid}.jsonl`) : undefined;
    if (!file || !existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ProbeSample);
  }

  #growth(name: string, run: Sample[], runs: number): MemoryGrowth {
    const t0 = (run[0] as Sample).t;
    const tEnd = (run[run.length - 1] as Sample).t;
    const from = t0 + (tEnd - t0) / 3; // the first third is warm-up (JIT, caches, first windows)
    const after = run.filter((s) => s.t >= from);
    const rss = after.map((s) => ({ t: s.t, v: s.rssBytes }));
    const heap = this.#probe((run[0] as Sample).pid).flatMap((s) =>
      s.heapAfterGc !== undefined && s.t >= from ? [{ t: s.t, v: s.heapAfterGc }] : [],
    );
    const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    const out: MemoryGrowth = {
      name,
      minutes: Math.round((tEnd - t0) / 6_000) / 10,
      measuredMinutes: Math.round((tEnd - from) / 6_000) / 10,
      mibPerHour: mib(slopePerHour(rss)),
      fromMiB: mib((rss[0] as { v: number }).v),
      toMiB: mib((rss[rss.length - 1] as { v: number }).v),
      runs,
    };
    if (heap.length >= 3) {
      out.heapAfterGcMibPerHour = mib(slopePerHour(heap));
      out.heapAfterGcFromMiB = mib((heap[0] as { v: number }).v);
      out.heapAfterGcToMiB = mib((heap[heap.length - 1] as { v: number }).v);
    }
    return out;
  }
}

function splitRuns(samples: Sample[]): Sample[][] {
  const runs: Sample[][] = [];
  for (const s of samples) {
    const cur = runs[runs.length - 1];
    if (cur && (cur[0] as Sample).pid === s.pid) cur.push(s);
    else runs.push([s]);
  }
  return runs;
}

/** Least-squares slope of `v` over `t` (ms), per hour. */
export function slopePerHour(points: readonly { t: number; v: number }[]): number {
  if (points.length < 2) return 0;
  const t0 = (points[0] as { t: number }).t;
  const xs = points.map((p) => (p.t - t0) / 3_600_000);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = points.reduce((a, p) => a + p.v, 0) / points.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((points[i] as { v: number }).v - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
