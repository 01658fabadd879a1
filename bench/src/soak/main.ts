// Soak: the whole plant under a chaos schedule of SIGKILLs (edge agents, broker, ingestor, influxd,
// each restarted) for TAKT_SOAK_MINUTES (default 30); reports per device and QoS 1 channel the seqs
// missing in InfluxDB (and why), duplicates, each process's memory growth and event-loop delay. Not part of a plain `npm run bench` (it takes
// half an hour): `npm run bench -- soak`. The run itself is test/src/soak/main.ts (it drives tools/stack).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toMarkdown, type BenchReport, type BenchRow } from '../report.js';

interface SoakResult {
  minutes: number;
  seed: number;
  schedule: { atS: number; victim: string; downMs: number }[];
  seqs: {
    device: string;
    channel: string;
    count: number;
    missing: number[];
    duplicates: number[];
    unseen: number[];
    overwritten: number[];
    lostDownstream: number[];
    redelivered: number;
  }[];
  memory: {
    name: string;
    minutes: number;
    measuredMinutes: number;
    mibPerHour: number;
    fromMiB: number;
    toMiB: number;
    heapAfterGcMibPerHour?: number;
    heapAfterGcFromMiB?: number;
    heapAfterGcToMiB?: number;
    runs: number;
  }[];
  lag: { name: string; p99Ms: number; worstRunP99Ms: number; worstIntervalP99Ms: number; maxMs: number }[];
  simulatorExits: number;
}

const SOAK = fileURLToPath(new URL('../../../test/src/soak/main.ts', import.meta.url));

function soak(): Promise<SoakResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@takt/source', '--import', 'tsx', SOAK], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as SoakResult);
      else reject(new Error(`soak exited with ${code}`));
    });
  });
}

function rows(r: SoakResult): BenchRow[] {
  const why = (s: SoakResult['seqs'][number]) =>
    s.missing.length === 0
      ? `${s.redelivered} redelivered to the witness`
      : `never routed by the broker: ${s.unseen.length}; overwritten (same ts): ${s.overwritten.length}; lost after the broker: ${s.lostDownstream.length}`;
  const seqRows = r.seqs.map((s) => ({
    metric: `${s.device}/${s.channel}: seqs missing in InfluxDB (of ${s.count})`,
    unit: 'seqs',
    ours: s.missing.length,
    peer: 0,
    peerName: 'none lost',
    target: '0',
    note: `${s.duplicates.length} seqs on two points; ${why(s)}`,
  }));
  const memRows = r.memory.flatMap((m) => [
    {
      metric: `${m.name}: RSS growth after warm-up (${m.fromMiB}→${m.toMiB} MiB over the last ${m.measuredMinutes} min of its longest run, ${m.minutes} min; ${m.runs} runs)`,
      unit: 'MiB/h',
      ours: m.mibPerHour,
      note: 'least-squares slope',
    },
    ...(m.heapAfterGcMibPerHour === undefined
      ? []
      : [
          {
            metric: `${m.name}: V8 heap after a full GC, growth after warm-up (${m.heapAfterGcFromMiB}→${m.heapAfterGcToMiB} MiB)`,
            unit: 'MiB/h',
            ours: m.heapAfterGcMibPerHour,
            note: 'least-squares slope, one sample a minute',
          },
        ]),
  ]);
  const lagRows = r.lag.map((l) => ({
    metric: `${l.name}: event-loop delay p99 over its longest run`,
    unit: 'ms',
    ours: l.p99Ms,
    note: `worst run p99 ${l.worstRunP99Ms} ms; worst 10 s p99 ${l.worstIntervalP99Ms} ms; max ${l.maxMs} ms`,
  }));
  return [
    ...seqRows,
    ...memRows,
    ...lagRows,
    {
      metric: 'simulator runs ended on their own (restarted by the soak)',
      unit: 'runs',
      ours: r.simulatorExits,
      peer: 0,
      peerName: 'rides out broker restarts',
      target: '0',
    },
  ];
}

export async function run(): Promise<BenchReport> {
  const r = await soak();
  return {
    name: 'soak',
    rows: rows(r),
    notes: [
      `${r.minutes} min; seed ${r.seed} (TAKT_SOAK_SEED=${r.seed} runs the same schedule); chaos schedule (SIGKILL, then restart): ${r.schedule.map((e) => `${e.atS}s ${e.victim} (${(e.downMs / 1000).toFixed(1)} s down)`).join(', ')}`,
      'broker sessions in Redis (redisPersistence); QoS 1 channels telemetry, features, state (no model is rolled out, so no anomaly events); heartbeats are best-effort and not counted',
      'a witness subscriber (persistent QoS 1 session beside the ingestor) tells a missing seq apart: never routed by the broker, overwritten in InfluxDB by another seq with the same ts, or lost after the broker',
      'memory: RSS from /proc every 10 s; heap after a full GC and event-loop delay (monitorEventLoopDelay, 10 ms resolution) from a probe loaded into every Node process (test/src/soak/probe.mjs); warm-up = the first third of a run',
      'all processes run from TypeScript sources (tsx) on the machine the soak runs on, with whatever else runs there',
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(toMarkdown(await run()));
}
