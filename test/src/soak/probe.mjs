// Loaded into every Node process of the soak (NODE_OPTIONS=--import <this file>, with TAKT_PROBE_DIR
// set): every 10 s it appends one JSON line to <TAKT_PROBE_DIR>/<pid>.jsonl with the event-loop delay
// (p99 and max over those 10 s, and p99 since start, from perf_hooks.monitorEventLoopDelay at 10 ms
// resolution, less those 10 ms: an idle loop reads about 0), RSS and heap used; every 60 s also the
// heap used right after a full GC, so a leak is told apart from garbage not yet collected. Plain JavaScript, so it loads before any TypeScript hook.
import { mkdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const dir = process.env.TAKT_PROBE_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.jsonl`);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const total = monitorEventLoopDelay({ resolution: 10 });
  const recent = monitorEventLoopDelay({ resolution: 10 });
  total.enable();
  recent.enable();
  // the histogram records the time between ticks of its 10 ms timer: the delay is what exceeds 10 ms
  const ms = (ns) => Math.max(0, Math.round((ns - 10e6) / 1e4) / 100);
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    const sample = {
      t: Date.now(),
      argv: ticks === 1 ? process.argv.slice(1).join(' ') : undefined,
      lagP99Ms: ms(recent.percentile(99)),
      lagMaxMs: ms(recent.max),
      lagP99TotalMs: ms(total.percentile(99)),
      rss: process.memoryUsage.rss(),
      heapUsed: process.memoryUsage().heapUsed,
    };
    recent.reset();
    if (ticks % 6 === 0 && typeof gc === 'function') {
      gc();
      sample.heapAfterGc = process.memoryUsage().heapUsed;
    }
    try {
      appendFileSync(file, `${JSON.stringify(sample)}\n`);
    } catch {
      // the soak's folder is gone: it is over
    }
  }, 10_000);
  timer.unref();
}
