// Intake benchmark: raw samples per second per CPU core of a takt-edge process reading N machines from one
// takt-sim over Modbus TCP, over OPC UA, and (the peer) as MQTT raw batches; and, per fieldbus, the added
// latency from a value change to the handover of its batch to the windows (the agent's
// takt_edge_intake_latency_seconds summary: OPC UA from the server's source timestamp, Modbus from the
// poll that saw the change — Modbus carries no timestamps, so up to one poll interval comes before that).
//   node --conditions=@takt/source --import tsx bench/src/intake/main.ts
// TAKT_BENCH_INTAKE_MACHINES (default 100, 4 sensors at 10 Hz each), TAKT_BENCH_INTAKE_SECONDS (default 15).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, type ManagedProcess } from '@takt/runtime';
import { spawnTakt, startMosquitto, tempDir } from '@takt/testing';
import { cpuSeconds } from '../cpu.js';
import { toMarkdown, ratioOf, type BenchReport, type BenchRow } from '../report.js';
import { Resources } from '../resources.js';

const MACHINES = Number(process.env['TAKT_BENCH_INTAKE_MACHINES'] ?? 100);
const SECONDS = Number(process.env['TAKT_BENCH_INTAKE_SECONDS'] ?? 15);
const SENSORS = { temperature: { rate: 10 }, current: { rate: 10 }, pressure: { rate: 10 }, flow: { rate: 10 } };
type Intake = 'mqtt' | 'modbus' | 'opcua';

interface IntakeRun {
  intake: Intake;
  /** Modbus requests outstanding at once */
  inFlight: number;
  samplesPerS: number;
  cpuS: number;
  wallS: number;
  latency?: { p50: number; p95: number; p99: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function plantFile(dir: string, intake: Intake): string {
  const machines = Array.from({ length: MACHINES }, (_, i) => ({
    id: `pump-${i + 1}`,
    type: 'pump',
    sensors: SENSORS,
  }));
  const line = { id: 'line-b', ...(intake === 'mqtt' ? {} : { serve: intake }), machines };
  const file = join(dir, `plant-${intake}.json`);
  writeFileSync(file, JSON.stringify({ batchMs: 100, sites: [{ id: 'plant-a', lines: [line] }] }));
  return file;
}

/** Reads one sample (or summary quantile) line of the agent's /metrics. */
async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
const sampleOf = (text: string, name: string): number =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
const quantile = (text: string, protocol: string, q: string): number =>
  Number(
    new RegExp(`^takt_edge_intake_latency_seconds\\{quantile="${q}",protocol="${protocol}"\\} (\\S+)$`, 'm').exec(
      text,
    )?.[1] ?? NaN,
  ) * 1000;

async function measure(intake: Intake, brokerUrl: string, inFlight = 1): Promise<IntakeRun> {
  const res = new Resources();
  const dir = res.add('temp dir', tempDir(`takt-bench-intake-${intake}-`), (d) => d.remove());
  try {
    const mapFile = join(dir.path, 'serve-map.json');
    const serve =
      intake === 'mqtt'
        ? []
        : [
            '--serve',
            intake,
            '--opcua-port',
            String(await freePort()),
            '--modbus-port',
            String(await freePort()),
            '--serve-map',
            mapFile,
          ];
    const sim: ManagedProcess = res.add(
      'simulator',
      spawnTakt('simulators/plant', ['run', '--plant', plantFile(dir.path, intake), '--broker', brokerUrl, ...serve], {
        name: 'takt-sim',
        logFile: join(dir.path, 'sim.log'),
        ready: async (): Promise<boolean> => sim.recentOutput().includes('publishing'),
      }),
      (p) => p.close(),
    );
    await sim.start();
    const lineIntake =
      intake === 'mqtt'
        ? {}
        : (
            JSON.parse(readFileSync(mapFile, 'utf8')) as {
              lines: Record<string, { modbus?: Record<string, unknown>[] }>;
            }
          ).lines['plant-a/line-b']!;
    for (const m of lineIntake.modbus ?? []) m['maxInFlight'] = inFlight;
    const metricsPort = await freePort();
    const config = {
      dataDir: join(dir.path, 'edge'),
      source: { url: brokerUrl },
      devices: Array.from({ length: MACHINES }, (_, i) => ({
        site: 'plant-a',
        line: 'line-b',
        device: `pump-${i + 1}`,
      })),
      outbox: { kind: 'memory' },
      metrics: { port: metricsPort },
      ...lineIntake,
    };
    const configFile = join(dir.path, 'edge.json');
    writeFileSync(configFile, JSON.stringify(config));
    const agentFile = join(config.dataDir, 'agent.json');
    const agent: ManagedProcess = res.add(
      'agent',
      spawnTakt('apps/edge-agent', ['--config', configFile], {
        logFile: join(dir.path, 'agent.log'),
        readyTimeoutMs: 60_000,
        ready: (): Promise<boolean> =>
          Promise.resolve(
            existsSync(agentFile) && (JSON.parse(readFileSync(agentFile, 'utf8')) as { pid: number }).pid === agent.pid,
          ),
      }),
      (p) => p.close(),
    );
    await agent.start();
    await sleep(5_000); // connect, first subscriptions and polls, JIT warm-up
    const [m0, c0, t0] = [
      sampleOf(await scrape(metricsPort), 'takt_edge_samples_total'),
      cpuSeconds(agent.pid),
      performance.now(),
    ];
    await sleep(SECONDS * 1000);
    const text = await scrape(metricsPort);
    const [m1, c1, t1] = [sampleOf(text, 'takt_edge_samples_total'), cpuSeconds(agent.pid), performance.now()];
    const wallS = (t1 - t0) / 1000;
    const latency =
      intake === 'mqtt'
        ? undefined
        : {
            p50: quantile(text, intake, '0.5'),
            p95: quantile(text, intake, '0.95'),
            p99: quantile(text, intake, '0.99'),
          };
    return { intake, inFlight, samplesPerS: (m1 - m0) / wallS, cpuS: c1 - c0, wallS, ...(latency ? { latency } : {}) };
  } finally {
    await res.closeAll();
  }
}

export async function run(): Promise<BenchReport> {
  const res = new Resources();
  try {
    const broker = res.add('mosquitto', await startMosquitto(), (b) => b.close());
    const runs: IntakeRun[] = [];
    for (const [intake, inFlight] of [
      ['mqtt', 1],
      ['modbus', 1],
      ['modbus', 8],
      ['opcua', 1],
    ] as const)
      runs.push(await measure(intake, broker.url, inFlight));
    const perCore = (r: IntakeRun) => r.samplesPerS / (r.cpuS / r.wallS);
    const mqtt = runs.find((r) => r.intake === 'mqtt')!;
    const label = (r: IntakeRun) =>
      r.intake === 'mqtt'
        ? 'MQTT raw'
        : r.intake === 'modbus'
          ? `Modbus TCP (${r.inFlight} request${r.inFlight > 1 ? 's' : ''} in flight)`
          : 'OPC UA';
    const offered = MACHINES * 4 * 10;
    const rows: BenchRow[] = [];
    for (const r of runs) {
      const ours = Math.round(perCore(r));
      rows.push({
        metric: `${label(r)} intake: samples/s per core (whole agent: intake, windows, features, telemetry)`,
        unit: 'samples/s/core',
        ours,
        ...(r.intake === 'mqtt'
          ? {}
          : {
              peer: Math.round(perCore(mqtt)),
              peerName: 'MQTT raw intake, same agent and plant',
              ratio: ratioOf(ours, Math.round(perCore(mqtt))),
            }),
        note: `${Math.round(r.samplesPerS).toLocaleString('en-US')} of ${offered.toLocaleString('en-US')} samples/s taken in at ${Math.round((r.cpuS / r.wallS) * 100)} % of a core`,
      });
    }
    for (const r of runs) {
      if (!r.latency) continue;
      const poll = r.intake === 'modbus' ? ' + up to one 100 ms poll interval before the poll' : '';
      rows.push({
        metric: `${label(r)}: value change → window, p95 (p50 ${Math.round(r.latency.p50)} ms, p99 ${Math.round(r.latency.p99)} ms)`,
        unit: 'ms',
        ours: Math.round(r.latency.p95),
        peer: 1_000,
        peerName: 'one raw batch (batchMs 1000)',
        ratio: ratioOf(Math.round(r.latency.p95), 1_000),
        note: `from ${r.intake === 'opcua' ? "the server's source timestamp" : 'the poll that saw the change'}${poll}`,
      });
    }
    return {
      name: 'intake',
      rows,
      notes: [
        `one takt-sim serving ${MACHINES} pumps × 4 sensors at 10 Hz (${offered.toLocaleString('en-US')} samples/s), one takt-edge process from sources, memory outbox, ${SECONDS} s measured after 5 s of warm-up; CPU is the agent process's (/proc), samples are its takt_edge_samples_total`,
        'Modbus: one TCP connection, a poll group per machine every 100 ms (4 float32 in one request), one request at a time (the default) or 8 pipelined (maxInFlight); OPC UA: one session, a monitored item per sensor (sampling 100 ms, publishing 100 ms), the agent samples held values every 100 ms',
        "latency: the agent hands a batch to the windows every batchMs (1000 ms here, the serve map's setting): a change waits for its batch to fill; a smaller batchMs lowers it at more messages",
        'the simulator, mosquitto and the agent share the 2 cores; provisional while other engineers share the CPU',
      ],
    };
  } finally {
    await res.closeAll();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(toMarkdown(await run()));
}
