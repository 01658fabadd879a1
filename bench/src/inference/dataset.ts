import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodePng } from '@takt/plant';
import { sourceCommand } from '@takt/testing';

/**
 * Runs one of our programs (`<project>/src/main.ts`) from source as its own process — an app is
 * never imported — and returns its wall time in seconds. Killed (SIGTERM) after `timeoutMs`
 * (default 20 min), so a hung child cannot outlive the benchmark.
 */
export async function runTakt(project: string, args: string[], timeoutMs = 20 * 60_000): Promise<number> {
  const cmd = sourceCommand(project, args);
  const t0 = performance.now();
  try {
    await promisify(execFile)(cmd.command, cmd.args, {
      cwd: cmd.cwd,
      env: { ...process.env, TAKT_LOG_LEVEL: 'warn' },
      maxBuffer: 16 << 20,
      timeout: timeoutMs,
    });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${project} ${args.slice(0, 2).join(' ')} failed: ${e.message}\n${(e.stderr ?? '').slice(-2000)}`);
  }
  return (performance.now() - t0) / 1000;
}

/** `takt-sim images`: `count` labelled size×size PNG frames of simulated parts, `labels.csv` beside them. */
export function simImages(out: string, count: number, size: number, seed: number): Promise<number> {
  return runTakt('simulators/plant', [
    'images',
    '--count',
    String(count),
    '--size',
    String(size),
    '--seed',
    String(seed),
    '--out',
    out,
  ]);
}

/** Labelled camera frames ready for the model: NHWC [N, size, size, 1], values 0..1. */
export interface Frames {
  size: number;
  x: Float32Array;
  /** class name of each frame, from labels.csv */
  labels: string[];
}

/**
 * Reads `dir/labels.csv` (`file,label`) and every PNG it names, as the trainer and the edge agent
 * see a frame: gray, /255. Frames must already be size×size (takt-sim writes them so): no resize.
 */
export function readFrames(dir: string, size: number): Frames {
  const rows = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n').slice(1);
  const per = size * size;
  const x = new Float32Array(rows.length * per);
  const labels = rows.map((row, n) => {
    const [file = '', label = ''] = row.split(',');
    const img = decodePng(readFileSync(join(dir, file)));
    if (img.width !== size || img.height !== size)
      throw new Error(`${file} is ${img.width}×${img.height}, expected ${size}×${size}`);
    for (let i = 0; i < per; i++) x[n * per + i] = (img.data[i] as number) / 255;
    return label.trim();
  });
  return { size, x, labels };
}

/** Each label's index in the model's `classes` (the manifest's order); an unknown label throws. */
export function classIndices(labels: string[], classes: readonly string[]): Int32Array {
  return Int32Array.from(labels, (l) => {
    const i = classes.indexOf(l);
    if (i < 0) throw new Error(`label "${l}" is not one of the model's classes ${classes.join(', ')}`);
    return i;
  });
}
