// The soak: the whole plant (two edge agents, a broker with Redis persistence, an ingestor, influxd,
// the simulator) for TAKT_SOAK_MINUTES (default 30) under a random chaos schedule of SIGKILLs (each
// victim restarted; the schedule is reported); then every QoS 1 seq is looked up in InfluxDB.
// Prints progress on stderr and one JSON line (SoakResult) on stdout. `npm run bench -- soak` runs it.
//   node --conditions=@takt/source --import tsx test/src/soak/main.ts
// Settings: TAKT_SOAK_MINUTES (30), TAKT_SOAK_SEED (the chaos schedule's seed; default random, reported),
// TAKT_SOAK_VICTIMS (comma-separated names the schedule may kill: edge-…, broker-1, ingestor-1, influxd;
// default all; `none`: no kills, for a steady-state memory run), TAKT_SOAK_GAP=lo,hi (seconds between kills; 30,90),
// TAKT_SOAK_DRAIN_S (the longest wait for missing seqs after the run; 300), TAKT_SOAK_KEEP=1 (keep the stack's folder with its logs and data).
// A witness subscriber (witness.ts) tells why a seq is missing; a probe loaded into every Node process
// (probe.mjs) reports event-loop delay and heap after GC.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { tempDir } from '@takt/testing';
import { writeSmallPlant } from '../plants.js';
import { checkSeqs, drained, untilStable, type SeqCheck } from '../seqs.js';
import { chaosSchedule, runChaos, seededRandom, type ChaosEvent, type Victim } from './chaos.js';
import { MemorySampler, type LoopLag, type MemoryGrowth } from './memory.js';
import { Witness } from './witness.js';

/** Channels the edge sends with QoS 1 through its outbox (no models are rolled out here, so no anomaly events). */
const CHANNELS = ['telemetry', 'features', 'state'] as const;

/** A seq check with what the witness tells about each missing seq (see Witness.explain). */
export interface SoakSeqs extends SeqCheck {
  unseen: number[];
  overwritten: number[];
  lostDownstream: number[];
  /** seqs the broker handed the witness more than once (QoS 1 redelivery; InfluxDB rewrites the same point) */
  redelivered: number;
}

export interface SoakResult {
  minutes: number;
  seed: number;
  schedule: ChaosEvent[];
  seqs: SoakSeqs[];
  memory: MemoryGrowth[];
  lag: LoopLag[];
  /** times the simulator ended on its own (it should ride out broker restarts) */
  simulatorExits: number;
}

const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));

const log = (line: string) => process.stderr.write(`${line}\n`);

function victimsOf(stack: Stack): Victim[] {
  const proc = (
    name: string,
    p: { kill(): Promise<void>; start(): Promise<void>; pid: number | undefined },
  ): Victim => ({ name, kill: () => p.kill(), start: () => p.start(), pid: () => p.pid });
  return [
    ...stack.edges.map((e) => proc(e.name, e.process)),
    ...stack.brokers.map((b) => proc(b.name, b.process)),
    ...stack.ingestors.map((i) => proc(i.name, i.process)),
    {
      name: 'influxd',
      kill: () => stack.influx.process.kill(),
      start: () => stack.influx.start(),
      pid: () => stack.influx.process.pid,
    },
  ];
}

/** Counts the times takt-sim ended on its own (it reconnects after losing its broker, so none is expected), and starts it again. */
function watchSimulator(stack: Stack, exits: { n: number }): NodeJS.Timeout {
  return setInterval(() => {
    const sim = stack.simulator?.process;
    if (sim && !sim.running) {
      exits.n++;
      log('[soak] simulator ended on its own: starting it again (counted in simulatorExits)');
      sim.start().catch((err: Error) => log(`[soak] simulator start failed: ${err.message}`));
    }
  }, 2_000);
}

interface SoakOptions {
  minutes: number;
  /** names of the processes the schedule may kill; default all */
  victims?: string[];
  seed: number;
  /** keep the stack's folder (logs, data) afterwards */
  keep: boolean;
  /** seconds the drain may take before the seqs are reported as they are; default 300 */
  drainS: number;
  /** seconds between kills, at random in [lo, hi]; default 30–90 */
  gapS?: [number, number];
}

async function soak(o: SoakOptions): Promise<SoakResult> {
  const dir = tempDir('takt-soak-');
  const probeDir = join(dir.path, 'probe');
  process.env['TAKT_PROBE_DIR'] = probeDir; // every Node process of the stack loads the probe
  process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import=${PROBE}`.trim();
  const plantFile = writeSmallPlant(dir.path, {
    layout: { 'plant-a': { 'line-1': ['pump-1', 'motor-1'], 'line-2': ['pump-2', 'motor-2'] } },
  });
  const stack = await new Stack({
    dir: dir.path,
    mode: 'source',
    plantFile,
    redisPersistence: true,
    onProgress: (w) => log(`[soak] up: ${w}`),
  }).start();
  const store = await TelemetryStore.connect({ url: stack.influx.url });
  const broker = stack.brokers[0];
  if (!broker) throw new Error('the stack started no broker');
  const witness = new Witness({
    url: broker.url,
    username: 'ingestor',
    password: stack.secrets.broker.ingestor,
    clientId: 'ingestor-soak-witness',
    channels: CHANNELS,
  });
  try {
    const t0 = Date.now();
    const victims = victimsOf(stack);
    const names = victims.map((v) => v.name);
    const schedule = chaosSchedule(
      o.victims?.filter((n) => names.includes(n)) ?? names,
      o.minutes * 60,
      seededRandom(o.seed),
      o.gapS,
    );
    const memory = new MemorySampler(
      [
        ...victims,
        { name: 'takt-sim', pid: () => stack.simulator?.process.pid },
        { name: 'redis (broker sessions)', pid: () => stack.redis?.process.pid },
      ],
      10_000,
      probeDir,
    );
    const exits = { n: 0 };
    const simulator = watchSimulator(stack, exits);
    await runChaos(schedule, new Map(victims.map((v) => [v.name, v])), t0, log);
    const left = t0 + o.minutes * 60_000 - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const { memory: growth, lag } = memory.stop();
    clearInterval(simulator);
    await stack.simulator?.process.stop();
    const devices = stack.edges.flatMap((e) => e.devices.map((d) => d.device));
    log('[soak] run over; waiting for the pipeline to drain');
    // state goes on after the simulator stops (the agents report every 10 s): its count is left out of "stable"
    const checks = await untilStable(
      () => Promise.all(devices.flatMap((d) => CHANNELS.map((c) => checkSeqs(store, d, c, t0 - 60_000)))),
      5_000,
      o.drainS * 1_000,
      drained(['state']),
    );
    const seqs = checks.map((c) => ({
      ...c,
      ...witness.explain(c.device, c.channel, c.missing),
      redelivered: witness.redelivered(c.device, c.channel),
    }));
    return { minutes: o.minutes, seed: o.seed, schedule, seqs, memory: growth, lag, simulatorExits: exits.n };
  } finally {
    await witness.close();
    await store.close();
    await stack.stop();
    if (o.keep) log(`[soak] kept ${dir.path}`);
    else dir.remove();
  }
}

const env = process.env;
const result = await soak({
  minutes: Number(env['TAKT_SOAK_MINUTES'] ?? 30),
  ...(env['TAKT_SOAK_VICTIMS'] ? { victims: env['TAKT_SOAK_VICTIMS'].split(',') } : {}),
  seed: Number(env['TAKT_SOAK_SEED'] ?? Math.floor(Math.random() * 2 ** 31)),
  keep: env['TAKT_SOAK_KEEP'] === '1',
  drainS: Number(env['TAKT_SOAK_DRAIN_S'] ?? 300),
  ...(env['TAKT_SOAK_GAP'] ? { gapS: env['TAKT_SOAK_GAP'].split(',').map(Number) as [number, number] } : {}),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
