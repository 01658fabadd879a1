import { pathToFileURL } from 'node:url';
import { startMosquitto, startTestBroker, tempDir } from '@takt/testing';
import { toMarkdown, type BenchReport, type BenchRow } from '../report.js';
import { largestSustained, type SimStats } from './fleet.js';

/** s of simulated (= wall) time per run; TAKT_BENCH_SIM_SECONDS, default 8 (17 runs: ~2.7 min for the area) */
const SECONDS = Number(process.env['TAKT_BENCH_SIM_SECONDS'] ?? 8);
const SLOW_SIZES = [500, 1000, 1500, 2000, 3000, 4000];
const VIBRATION_SIZES = [100, 250, 500, 750, 1000, 1500];

function rows(sink: string, kind: 'slow' | 'vibration', best: number, runs: SimStats[]): BenchRow[] {
  const what = kind === 'slow' ? 'machines at 10 Hz (3 sensors)' : '1 kHz vibration channels';
  const out: BenchRow[] = [
    {
      metric: `${what} sustained in real time → ${sink}`,
      unit: kind === 'slow' ? 'machines' : 'channels',
      ours: best,
      ...(kind === 'slow' ? { target: '>= 1,000 machines' } : {}),
      note: `largest of ${(kind === 'slow' ? SLOW_SIZES : VIBRATION_SIZES).join('/')} with p99 lag < 100 ms`,
    },
  ];
  for (const r of runs) {
    out.push({
      metric: `  ${r.machines} ${kind === 'slow' ? 'machines' : 'channels'} → ${sink}: p99 lag`,
      unit: 'ms',
      ours: Math.round(r.lagP99Ms * 10) / 10,
      peer: 100,
      peerName: 'one batch period',
      note: `${Math.round(r.rawPublished / (r.wallMs / 1000)).toLocaleString('en-US')} batches/s, ${(r.bytes / r.wallMs / 1000).toFixed(1)} MB/s, p50 ${r.lagP50Ms.toFixed(1)} ms, max ${r.lagMaxMs.toFixed(0)} ms${r.keptUp ? '' : ', fell behind'}`,
    });
  }
  return out;
}

/** How many machines one `takt-sim run` process publishes without falling behind real time. */
export async function run(): Promise<BenchReport> {
  const dir = tempDir('takt-bench-sim-');
  const report: BenchReport = {
    name: 'plant simulator',
    rows: [],
    notes: [
      `each run: one takt-sim process, ${SECONDS} s of simulated time paced in real time, 100 ms batches (QoS 0), no subscriber; "kept up" = p99 lag (after JIT warm-up) and final lag under one batch period`,
      'lag = how late a batch left versus the end of its simulated period; the broker shares the 2 cores with the simulator',
      'provisional: other engineers share the CPU during development runs',
    ],
  };
  try {
    const mosquitto = await startMosquitto();
    try {
      for (const kind of ['slow', 'vibration'] as const) {
        const r = await largestSustained(
          dir.path,
          kind,
          kind === 'slow' ? SLOW_SIZES : VIBRATION_SIZES,
          { url: mosquitto.url },
          SECONDS,
        );
        report.rows.push(...rows('mosquitto', kind, r.best, r.runs));
      }
    } finally {
      await mosquitto.close();
    }
    const broker = await startTestBroker();
    try {
      const r = await largestSustained(
        dir.path,
        'slow',
        SLOW_SIZES,
        { url: broker.url, username: 'service', password: 'service-secret' },
        SECONDS,
      );
      report.rows.push(...rows('takt-broker', 'slow', r.best, r.runs));
    } finally {
      await broker.close();
    }
  } finally {
    dir.remove();
  }
  return report;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(toMarkdown(await run()));
}
