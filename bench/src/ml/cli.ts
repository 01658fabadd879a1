import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sourceCommand } from '@takt/testing';

/** Runs `takt-trainer` from source as a real process, as a user would; returns stdout. */
export async function trainer(args: string[]): Promise<string> {
  const cmd = sourceCommand('apps/cloud-trainer', args);
  const r = await promisify(execFile)(cmd.command, cmd.args, {
    cwd: cmd.cwd,
    env: { ...process.env, TAKT_LOG_LEVEL: 'warn' },
    maxBuffer: 64 << 20,
  });
  return r.stdout;
}

export interface ModelManifestView {
  detector?: string;
  threshold?: number;
  training: { samples: number; durationMs?: number; backend?: string };
  metrics: Record<string, number>;
}

export const readManifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifestView;

/** The `anomaly` column (0/1: an event is open) of an `anomaly score` output, in row order. */
export function anomalyFlags(scoreCsv: string): Uint8Array {
  const lines = readFileSync(scoreCsv, 'utf8').trimEnd().split('\n').slice(1);
  return Uint8Array.from(lines, (l) => Number(l.slice(l.lastIndexOf(',') + 1)));
}

/** Share of flagged rows in [from, to). */
export function flaggedShare(flags: Uint8Array, from = 0, to = flags.length): number {
  let n = 0;
  for (let i = from; i < to; i++) n += flags[i] as number;
  return to > from ? n / (to - from) : 0;
}

/** Runs of consecutive flagged rows: [first, last] row indices. */
export function flaggedRuns(flags: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < flags.length; i++) {
    if (!flags[i]) continue;
    let j = i;
    while (j + 1 < flags.length && flags[j + 1]) j++;
    runs.push([i, j]);
    i = j;
  }
  return runs;
}
