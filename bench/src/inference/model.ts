import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decodeManifest, type ModelManifest } from '@takt/contracts';
import { runTakt, simImages } from './dataset.js';

/** How the benchmark's vision model is trained (`takt-sim images` + `takt-trainer vision fit`). */
export interface TrainSettings {
  /** simulator frames generated, of which the trainer validates on 20 % */
  count: number;
  /** frame and model input width = height, px */
  size: number;
  /** `takt-sim images --seed` of the training frames */
  seed: number;
  /** most epochs (`--epochs`) */
  epochs: number;
  /** early-stopping patience in epochs (`--patience`) */
  patience: number;
}

/** A trained model folder: `model.onnx`, `model.int8.onnx`, `manifest.json`, and its training frames. */
export interface VisionModel {
  dir: string;
  manifest: ModelManifest;
  fp32: Uint8Array;
  int8: Uint8Array;
  /** the `takt-sim images` folder it was trained on */
  trainImages: string;
  /** true: reused from an earlier run's cache, not trained now */
  cached: boolean;
  /** wall time of generating the frames and training in this run, s; undefined when cached */
  wallSeconds?: number;
}

/** Cache folder name: every setting that changes the model. */
export const cacheKey = (s: TrainSettings) =>
  `vision-${s.size}px-n${s.count}-seed${s.seed}-e${s.epochs}-p${s.patience}`;

function load(root: string, wallSeconds?: number): VisionModel {
  const dir = join(root, 'model');
  const manifest = decodeManifest(readFileSync(join(dir, 'manifest.json')));
  const int8File = manifest.variants?.['int8']?.file;
  if (!int8File) throw new Error(`${dir}/manifest.json names no int8 variant`);
  return {
    dir,
    manifest,
    fp32: readFileSync(join(dir, manifest.artifact.file)),
    int8: readFileSync(join(dir, int8File)),
    trainImages: join(root, 'images'),
    cached: wallSeconds === undefined,
    ...(wallSeconds === undefined ? {} : { wallSeconds }),
  };
}

/**
 * The trained vision model for `s`: reused from `cacheRoot/<cacheKey>` when a finished one is
 * there, else trained now by the real CLIs (`takt-sim images`, `takt-trainer vision fit` with its
 * fast CPU kernels) into that folder. A folder without `model/manifest.json` (an interrupted run)
 * is thrown away and redone; the trainer writes the manifest last.
 */
export async function ensureVisionModel(cacheRoot: string, s: TrainSettings): Promise<VisionModel> {
  const root = join(cacheRoot, cacheKey(s));
  if (existsSync(join(root, 'model', 'manifest.json'))) return load(root);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const images = join(root, 'images');
  const simSeconds = await simImages(images, s.count, s.size, s.seed);
  const fitSeconds = await runTakt('apps/cloud-trainer', [
    ...['vision', 'fit', '--images', images, '--labels', join(images, 'labels.csv'), '--size', String(s.size)],
    ...['--epochs', String(s.epochs), '--patience', String(s.patience), '--out', join(root, 'model')],
  ]);
  return load(root, simSeconds + fitSeconds);
}
