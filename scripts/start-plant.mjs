// `npm start`: brings up what exists of the simulated plant, from the built packages.
// Data lives under .takt/ in the project; Ctrl-C stops everything cleanly.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInfluxd } from '../libs/runtime/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.takt', 'influxdb');
mkdirSync(dataDir, { recursive: true });

const influx = await startInfluxd({ dataDir, port: Number(process.env.TAKT_INFLUX_PORT ?? 0) || undefined });
process.stdout.write(`[takt] influxd   ${influx.url} (data in .takt/influxdb)\n`);
process.stdout.write('[takt] plant running — only InfluxDB exists so far; press Ctrl-C to stop\n');

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\n[takt] stopping\n');
  await influx.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
