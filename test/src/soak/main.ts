// The soak: the whole plant (two edge agents, a broker with Redis persistence, an ingestor, influxd,
// the simulator) for TAKT_SOAK_MINUTES (default 30) under a random chaos schedule of SIGKILLs (each
// victim restarted; the schedule is reported); then every QoS 1 seq is looked up in InfluxDB.
// Prints progress on stderr and one JSON line (SoakResult) on stdout. `npm run bench -- soak` runs it.
//   node --conditions=@takt/source --import tsx test/src/soak/main.ts
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { tempDir } from '@takt/testing';
import { writeSmallPlant } from '../plants.js';
import { checkSeqs, drained, untilStable, type SeqCheck } from '../seqs.js';
import { chaosSchedule, runChaos, type ChaosEvent, type Victim } from './chaos.js';
import { MemorySampler, type MemoryGrowth } from './memory.js';

/** Channels the edge sends with QoS 1 through its outbox (no models are rolled out here, so no anomaly events). */
const CHANNELS = ['telemetry', 'features', 'state'] as const;

export interface SoakResult {
  minutes: number;
  schedule: ChaosEvent[];
  seqs: SeqCheck[];
  memory: MemoryGrowth[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function victimsOf(stack: Stack): Victim[] {
  const proc = (name: string, p: { kill(): Promise<void>; start(): Promise<void>; pid: number | undefined }): Victim => ({ name, kill: () => p.kill(), start: () => p.start(), pid: () => p.pid });
  return [
    ...stack.edges.map((e) => proc(e.name, e.process)),
    ...stack.brokers.map((b) => proc(b.name, b.process)),
    ...stack.ingestors.map((i) => proc(i.name, i.process)),
    { name: 'influxd', kill: () => stack.influx.process.kill(), start: () => stack.influx.start(), pid: () => stack.influx.process.pid },
  ];
}

/** takt-sim ends its run when it loses the broker: start it again, as a plant's machines would go on. */
function keepRunning(stack: Stack): NodeJS.Timeout {
  return setInterval(() => {
    const sim = stack.simulator?.process;
    if (sim && !sim.running) {
      log('[soak] simulator ended (broker lost): starting it again');
      sim.start().catch((err: Error) => log(`[soak] simulator start failed: ${err.message}`));
    }
  }, 2_000);
}

async function soak(minutes: number): Promise<SoakResult> {
  const dir = tempDir('takt-soak-');
  const plantFile = writeSmallPlant(dir.path, { layout: { 'plant-a': { 'line-1': ['pump-1', 'motor-1'], 'line-2': ['pump-2', 'motor-2'] } } });
  const stack = await new Stack({ dir: dir.path, mode: 'source', plantFile, redisPersistence: true, onProgress: (w) => log(`[soak] up: ${w}`) }).start();
  const store = await TelemetryStore.connect({ url: stack.influx.url });
  try {
    const t0 = Date.now();
    const victims = victimsOf(stack);
    const schedule = chaosSchedule(victims.map((v) => v.name), minutes * 60);
    const memory = new MemorySampler(victims);
    const simulator = keepRunning(stack);
    await runChaos(schedule, new Map(victims.map((v) => [v.name, v])), t0, log);
    const left = t0 + minutes * 60_000 - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const growth = memory.stop();
    clearInterval(simulator);
    await stack.simulator?.process.stop();
    const devices = stack.edges.flatMap((e) => e.devices.map((d) => d.device));
    log('[soak] run over; waiting for the pipeline to drain');
    const seqs = await untilStable(() => Promise.all(devices.flatMap((d) => CHANNELS.map((c) => checkSeqs(store, d, c, t0 - 60_000)))), 5_000, 300_000, drained([]));
    return { minutes, schedule, seqs, memory: growth };
  } finally {
    await store.close();
    await stack.stop();
    dir.remove();
  }
}

const result = await soak(Number(process.env['TAKT_SOAK_MINUTES'] ?? 30));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
