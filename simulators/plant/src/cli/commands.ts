import { writeFileSync } from 'node:fs';
import { assertId, ContractError } from '@takt/contracts';
import { createLogger } from '@takt/runtime';
import { writeDataset } from '../camera/dataset.js';
import { SimError } from '../errors.js';
import { connectBroker, rideOutBrokerLoss } from '../output/mqtt.js';
import { runLive } from '../output/live.js';
import { recordPlant } from '../output/record.js';
import { loadPlant } from '../plant/load.js';
import { readCsv } from '../replay/csv.js';
import { replaySeries } from '../replay/replay.js';
import { describeServing, parseServe, startServing, type ServeOptions } from '../serve/serving.js';
import { PlantSimulation } from '../simulation.js';
import { numberOption, required, seedOption, type CliValues } from './args.js';

const logger = createLogger('takt-sim');

function broker(values: CliValues) {
  const password = values.password ?? process.env['TAKT_SIM_PASSWORD'];
  return {
    url: required(values, 'broker'),
    ...(values.username === undefined ? {} : { username: values.username }),
    ...(password === undefined ? {} : { password }),
    ...(values['client-id'] === undefined ? {} : { clientId: values['client-id'] }),
  };
}

/** Aborts on SIGINT/SIGTERM so a run stops cleanly, flushing what it queued. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => controller.abort());
  return controller.signal;
}

export async function runCommand(values: CliValues): Promise<void> {
  const plant = loadPlant(required(values, 'plant'));
  const start = numberOption(values, 'start', 1e12, 1e13);
  const sim = new PlantSimulation(plant, {
    seed: seedOption(values),
    ...(start === undefined ? {} : { startMs: start }),
  });
  const durationS = numberOption(values, 'duration', 0.001);
  const speed = numberOption(values, 'speed', 0.001, 1e6) ?? 1;
  const serving = values.serve === undefined ? undefined : await startServing(sim, serveOptions(values));
  for (const line of serving ? describeServing(sim, serving) : []) console.log(line);
  const options = broker(values);
  const client = await connectBroker(options).catch(async (err: unknown) => {
    await serving?.close();
    throw err;
  });
  let fatal: SimError | undefined;
  const controller = new AbortController();
  stopSignal().addEventListener('abort', () => controller.abort());
  // a broker restart is ridden out (the plant goes on; raw samples meanwhile are lost, as from a real gateway)
  rideOutBrokerLoss(
    client,
    options,
    (err) => {
      fatal = err;
      controller.abort();
    },
    logger,
  );
  console.log(
    `takt-sim: publishing ${sim.machines.length} machines and ${sim.cameras.length} camera stations to ${values.broker} (seed ${sim.seed}, start ${sim.startMs})`,
  );
  const stats = await runLive(sim, client, {
    ...(durationS === undefined ? {} : { durationS }),
    speed,
    wallClock: start === undefined,
    signal: controller.signal,
    logger,
    validateAll: values['validate-all'] === true,
    ...(values.truth ? { truthFile: values.truth } : {}),
    ...(serving ? { serve: serving.take } : {}),
  });
  await client.endAsync();
  await serving?.close();
  if (values.stats) writeFileSync(values.stats, JSON.stringify(stats, null, 2) + '\n');
  if (fatal) throw fatal;
  console.log(`takt-sim: done, ${stats.rawPublished} raw batches, p99 lag ${stats.lagP99Ms.toFixed(1)} ms`);
}

function serveOptions(values: CliValues): ServeOptions {
  const port = (name: 'opcua-port' | 'modbus-port') => numberOption(values, name, 0, 65_535);
  const [opcuaPort, modbusPort] = [port('opcua-port'), port('modbus-port')];
  return {
    protocols: parseServe(values.serve ?? ''),
    ...(values['serve-host'] ? { host: values['serve-host'] } : {}),
    ...(opcuaPort === undefined ? {} : { opcuaPort }),
    ...(modbusPort === undefined ? {} : { modbusPort }),
    ...(values['serve-map'] ? { mapFile: values['serve-map'] } : {}),
  };
}

export function recordCommand(values: CliValues): void {
  const start = numberOption(values, 'start', 1e12, 1e13);
  const summary = recordPlant({
    plant: loadPlant(required(values, 'plant')),
    seed: seedOption(values),
    durationS: numberOption(values, 'duration', 0.001) ?? Number(required(values, 'duration')),
    out: required(values, 'out'),
    validateAll: values['validate-all'] === true,
    ...(start === undefined ? {} : { startMs: start }),
  });
  console.log(JSON.stringify(summary));
}

export function imagesCommand(values: CliValues): void {
  const rows = writeDataset({
    count: numberOption(values, 'count', 1) ?? Number(required(values, 'count')),
    size: numberOption(values, 'size', 32, 256) ?? 96,
    seed: seedOption(values),
    out: required(values, 'out'),
    ...(values['defect-rate'] === undefined ? {} : { defectRate: numberOption(values, 'defect-rate', 0, 1) as number }),
  });
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.label] = (counts[r.label] ?? 0) + 1;
  console.log(JSON.stringify({ images: rows.length, out: values.out, classes: counts }));
}

function address(values: CliValues) {
  const a = { site: values.site ?? 'replay', line: values.line ?? 'replay', device: required(values, 'device') };
  try {
    for (const k of ['site', 'line', 'device'] as const) assertId(a[k], k);
  } catch (err) {
    throw new SimError('BAD_ARGUMENT', (err as ContractError).message, (err as ContractError).path[0] as string);
  }
  return a;
}

export async function replayCommand(values: CliValues): Promise<void> {
  const series = readCsv(required(values, 'csv'), {
    timeColumn: required(values, 'time-column'),
    ...(values.delimiter === undefined ? {} : { delimiter: values.delimiter }),
    ...(values.columns === undefined ? {} : { columns: values.columns.split(',') }),
  });
  for (const w of series.warnings) console.error(`takt-sim: warning: ${w}`);
  const timestamps = values.timestamps ?? 'scaled';
  if (timestamps !== 'scaled' && timestamps !== 'original')
    throw new SimError('BAD_ARGUMENT', `--timestamps must be scaled or original, got ${timestamps}`, 'timestamps');
  const qos = numberOption(values, 'qos', 0, 1) ?? 1;
  const target = address(values);
  const options = broker(values);
  const client = await connectBroker(options);
  const controller = new AbortController();
  stopSignal().addEventListener('abort', () => controller.abort());
  let fatal: SimError | undefined;
  rideOutBrokerLoss(
    client,
    options,
    (err) => {
      fatal = err;
      controller.abort();
    },
    logger,
  );
  console.log(`takt-sim: replaying ${series.rows.length} rows of ${series.columns.join(', ')} as ${target.device}`);
  const result = await replaySeries(series, client, {
    address: target,
    speed: numberOption(values, 'speed', 1e-6, 1e9) ?? 1,
    timestamps,
    qos: qos === 0 ? 0 : 1,
    signal: controller.signal,
  });
  await client.endAsync();
  if (fatal) throw fatal;
  console.log(`takt-sim: replayed ${result.published} rows in ${(result.wallMs / 1000).toFixed(1)} s`);
}

export function checkCommand(values: CliValues): void {
  const plant = loadPlant(required(values, 'plant'));
  const machines = plant.sites.flatMap((s) => s.lines.flatMap((l) => l.machines));
  console.log(
    JSON.stringify({
      ok: true,
      sites: plant.sites.length,
      machines: machines.length,
      faults: machines.reduce((n, m) => n + m.faults.length, 0),
    }),
  );
}
