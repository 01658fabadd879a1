#!/usr/bin/env node
// takt-stack up — the whole simulated plant on this machine (what `npm start` runs).
// Ctrl-C stops everything cleanly. Data, configs, logs and secrets live under --dir (default .takt/plant).
import { createServer } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runMain, UsageError } from '@takt/runtime';
import { repoRoot } from './launcher.js';
import { Stack } from './stack.js';

const USAGE = `takt-stack up [--dir DIR] [--plant FILE] [--fault-delay S] [--seed N] [--source]
  --dir          state folder (default .takt/plant)
  --plant        plant file (default simulators/plant/plants/demo.json)
  --fault-delay  seconds added to every scheduled fault, so a model is trained and rolled out first (default 150)
  --source       run from TypeScript sources instead of the build`;

const say = (msg: string) => process.stdout.write(`[takt] ${msg}\n`);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

async function preferred(envName: string, fallback: number): Promise<number> {
  const want = Number(process.env[envName] ?? fallback);
  return (await portIsFree(want)) ? want : 0;
}

/** The plant file with every scheduled fault moved `delayS` later. */
function delayedPlant(file: string, delayS: number, out: string): string {
  const plant = JSON.parse(readFileSync(file, 'utf8')) as {
    sites: { lines: { machines: { faults?: { start: number }[] }[] }[] }[];
  };
  for (const site of plant.sites)
    for (const line of site.lines) for (const m of line.machines) for (const f of m.faults ?? []) f.start += delayS;
  writeFileSync(out, JSON.stringify(plant, null, 2));
  return out;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      plant: { type: 'string' },
      'fault-delay': { type: 'string' },
      seed: { type: 'string' },
      source: { type: 'boolean' },
    },
  });
  if ((positionals[0] ?? 'up') !== 'up' || positionals.length > 1)
    throw new UsageError(`unknown command ${JSON.stringify(positionals.join(' '))}`);
  const root = repoRoot();
  const dir = resolve(values.dir ?? join(root, '.takt', 'plant'));
  mkdirSync(dir, { recursive: true });
  const plantFile = delayedPlant(
    values.plant ?? join(root, 'simulators/plant/plants/demo.json'),
    Number(values['fault-delay'] ?? 150),
    join(dir, 'plant.json'),
  );
  const demoPassword = process.env['TAKT_DEMO_PASSWORD'] ?? 'takt-demo';
  const stack = new Stack({
    dir,
    mode: values.source ? 'source' : 'dist',
    plantFile,
    seed: Number(values.seed ?? 1),
    dashboard: true,
    trainer: true,
    serve: true,
    demoPassword,
    ports: {
      broker: await preferred('TAKT_BROKER_PORT', 1883),
      dashboard: await preferred('TAKT_DASHBOARD_PORT', 8080),
      trainer: await preferred('TAKT_TRAINER_PORT', 8090),
      opcua: await preferred('TAKT_OPCUA_PORT', 4840),
      modbus: await preferred('TAKT_MODBUS_PORT', 5020),
    },
    trainerConfig: {
      training: {
        model: 'plant-anomaly',
        firstTrainAfterMs: 75_000,
        pollMs: 10_000,
        scheduleMs: 0,
        lookbackMs: 3_600_000,
        minWindows: 100,
        autoRollout: { canary: 1, watchMs: 15_000 },
        // the demo's CNNs: small inputs and few epochs, so they train in about a minute on two cores beside the plant
        vision: { size: 48, epochs: 25, patience: 8, minLabelled: 60, retrainAfterLabels: 10 },
        fault: { minLabelled: 8, epochs: 20, retrainAfterLabels: 5 },
        labelPollMs: 10_000,
      },
      drift: { checkEveryMs: 60_000, psiThreshold: 0.25, retrain: false },
      // the simulator's truth labels evidence no engineer has labelled (marked "simulator" wherever it is used)
      evidence: { useSimulatorTruth: true },
    },
    // the vision model's first labels: a simulator image set uploaded as a user would (takt-trainer evidence upload)
    seedImages: { count: 240, size: 96 },
    // a healthy raw window a minute (not ten) and a larger budget, so the fault CNN has data within the demo's first minutes
    edgeConfig: {
      evidence: { windows: { healthyEveryMs: 60_000 }, budget: { bytesPerSecond: 16_384, burstBytes: 1_048_576 } },
    },
    onProgress: say,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await stack.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await stack.start();
  } catch (err) {
    say(`start failed: ${(err as Error).message}\n(logs in ${join(dir, 'logs')})`);
    await stack.stop();
    process.exit(1);
  }
  say(`influxd    ${stack.influx.url}`);
  say(`broker     ${stack.brokers.map((b) => b.url).join(', ')}`);
  say(`trainer    ${stack.trainer?.url ?? '-'}`);
  say(
    `edge       ${stack.edges.length} agents serving ${stack.edges.reduce((n, e) => n + e.devices.length, 0)} machines`,
  );
  if (stack.serving?.opcua)
    say(
      `opc ua     ${stack.serving.opcua}   (UaExpert: anonymous, security None; nodes under Objects/<site>/<line>/<machine>)`,
    );
  if (stack.serving?.modbus)
    say(
      `modbus     ${stack.serving.modbus}   (mbpoll -m tcp -p <port> -a <unit> -0 -t 4:float -B -r 0 -c <sensors> 127.0.0.1; map in ${join(dir, 'serve-map.json')})`,
    );
  say(`dashboard  ${stack.dashboard?.url}   sign in as "engineer" (or "admin") / "${demoPassword}"`);
  say(
    `plant running — a first model trains after ~75 s of data and rolls out; faults start ${values['fault-delay'] ?? 150} s in. Ctrl-C stops everything. Logs: ${join(dir, 'logs')}`,
  );
  say(
    'camera station cam-1: a vision model trains from the uploaded image set and rolls out in the first minutes (Inspections page); the fault CNN follows once enough fault windows are labelled (Models page)',
  );
}

await runMain({
  name: 'takt-stack',
  packageJson: new URL('../package.json', import.meta.url),
  usage: USAGE,
  run: main,
});
