import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourceCommand } from '@takt/testing';

/** What one `takt-sim run` reported (its `--stats` file). */
export interface SimStats {
  machines: number;
  rawPublished: number;
  bytes: number;
  wallMs: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  finalLagMs: number;
  keptUp: boolean;
}

/** A plant of `machines` machines, 100 per line: `slow` = temperature, current, rpm at 10 Hz; `vibration` = one 1 kHz accelerometer. */
export function fleetPlant(machines: number, kind: 'slow' | 'vibration'): object {
  const sensors =
    kind === 'slow'
      ? { temperature: { rate: 10 }, current: { rate: 10 }, rpm: { rate: 10 } }
      : { vibration: { rate: 1000 } };
  const lines = [];
  for (let l = 0; l * 100 < machines; l++) {
    const ids = Array.from({ length: Math.min(100, machines - l * 100) }, (_, i) => `m-${l * 100 + i}`);
    lines.push({ id: `line-${l}`, machines: ids.map((id) => ({ id, type: 'motor', sensors })) });
  }
  return { sites: [{ id: 'bench', lines }] };
}

/** Runs `takt-sim run` as its own process (an app is never imported) for `seconds` and returns its stats. */
export function runSim(
  dir: string,
  plant: object,
  broker: { url: string; username?: string; password?: string },
  seconds: number,
): Promise<SimStats> {
  const plantFile = join(dir, 'plant.json');
  const statsFile = join(dir, 'stats.json');
  writeFileSync(plantFile, JSON.stringify(plant));
  const auth = broker.username ? ['--username', broker.username, '--password', broker.password ?? ''] : [];
  const cmd = sourceCommand('simulators/plant', [
    'run',
    '--plant',
    plantFile,
    '--broker',
    broker.url,
    ...auth,
    '--duration',
    String(seconds),
    '--stats',
    statsFile,
  ]);
  return new Promise((resolve, reject) => {
    execFile(
      cmd.command,
      cmd.args,
      { cwd: cmd.cwd, env: { ...process.env, TAKT_LOG_LEVEL: 'warn' } },
      (err, _out, stderr) => {
        if (err) reject(new Error(`takt-sim run failed: ${stderr}`));
        else resolve(JSON.parse(readFileSync(statsFile, 'utf8')) as SimStats);
      },
    );
  });
}

/** Steps the fleet size up through `sizes` while the simulator keeps up; returns the largest that did and every run. */
export async function largestSustained(
  dir: string,
  kind: 'slow' | 'vibration',
  sizes: number[],
  broker: Parameters<typeof runSim>[2],
  seconds: number,
) {
  const runs: SimStats[] = [];
  let best = 0;
  for (const n of sizes) {
    const stats = await runSim(dir, fleetPlant(n, kind), broker, seconds);
    runs.push(stats);
    if (!stats.keptUp) break;
    best = n;
  }
  return { best, runs };
}
