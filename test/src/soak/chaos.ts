/** A process the chaos schedule may kill: SIGKILL, then start again. */
export interface Victim {
  name: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  pid(): number | undefined;
}

/** One planned kill: `atS` seconds into the run, down for `downMs`. */
export interface ChaosEvent {
  atS: number;
  victim: string;
  downMs: number;
}

/**
 * A chaos schedule: after a quiet first minute, every 30–90 s (`gapS`) one victim, picked at random (each
 * at least once when the run is long enough), is SIGKILLed and started again 1–5 s later; the last
 * two minutes stay quiet so the pipeline can drain. The schedule is reported with the results, and
 * `random` (default Math.random) can be fixed to run one again.
 */
export function chaosSchedule(
  victims: readonly string[],
  durationS: number,
  rnd: () => number = Math.random,
  gapS: readonly [number, number] = [30, 90],
): ChaosEvent[] {
  const events: ChaosEvent[] = [];
  const order = [...victims].sort(() => rnd() - 0.5);
  const [lo, hi] = gapS;
  for (let at = 60 + rnd() * 30; at < durationS - 120; at += lo + rnd() * (hi - lo)) {
    const victim = order[events.length] ?? victims[Math.floor(rnd() * victims.length)];
    if (victim) events.push({ atS: Math.round(at), victim, downMs: Math.round(1_000 + rnd() * 4_000) });
  }
  return events;
}

/** Runs the schedule against the victims from `t0` (ms); resolves after the last restart. */
export async function runChaos(
  schedule: readonly ChaosEvent[],
  victims: ReadonlyMap<string, Victim>,
  t0: number,
  log: (line: string) => void,
): Promise<void> {
  for (const e of schedule) {
    const wait = t0 + e.atS * 1_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const v = victims.get(e.victim);
    if (!v) continue;
    log(`[soak] ${e.atS}s: SIGKILL ${v.name} (pid ${v.pid() ?? '?'}), back in ${e.downMs} ms`);
    await v.kill();
    await new Promise((r) => setTimeout(r, e.downMs));
    await v.start();
  }
}

/** A seeded uniform [0, 1) generator (mulberry32), so a schedule can be run again from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
