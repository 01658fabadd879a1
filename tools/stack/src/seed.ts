import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StackPaths } from './components.js';
import { programArgs, repoRoot, type LaunchMode } from './launcher.js';

const run = promisify(execFile);

/** Runs one of our programs to completion; its output goes to `logFile`'s neighbour on failure. */
async function program(
  project: string,
  mode: LaunchMode,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [...programArgs(project, mode), ...args], {
      cwd: repoRoot(),
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `${project} ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? '').trim().split('\n').slice(-5).join('\n') || e.message}`,
    );
  }
}

/**
 * Seeds the vision model the way a user would: `takt-sim images` writes a labelled image set (PNG files and
 * labels.csv), `takt-trainer evidence upload` sends it to the trainer. Done once per stack folder (a marker
 * file), so a restart does not upload the same set twice.
 */
export async function seedImages(
  paths: StackPaths,
  mode: LaunchMode,
  o: { count: number; size: number; seed?: number; trainerUrl: string; token: string },
): Promise<void> {
  const dir = join(paths.data, 'seed-images');
  const marker = join(dir, '.uploaded');
  if (existsSync(marker)) return;
  await program('simulators/plant', mode, [
    'images',
    '--count',
    String(o.count),
    '--size',
    String(o.size),
    '--seed',
    String(o.seed ?? 11),
    '--out',
    dir,
  ]);
  const out = await program('apps/cloud-trainer', mode, [
    'evidence',
    'upload',
    '--images',
    dir,
    '--labels',
    join(dir, 'labels.csv'),
    '--set',
    'seed-images',
    '--url',
    o.trainerUrl,
    '--token',
    o.token,
  ]);
  writeFileSync(marker, out);
}
