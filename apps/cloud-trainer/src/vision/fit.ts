import { basename } from 'node:path';
import type { ModelManifest } from '@takt/contracts';
import { exportClassifier } from '../cnn/export.js';
import { channelStats } from '../cnn/fold.js';
import { installFastCpuKernels } from '../cnn/cpu-kernels.js';
import { visionCnn } from '../cnn/models.js';
import { gather, stratifiedSplit } from '../cnn/split.js';
import { trainClassifier, type ClassifierSplit } from '../cnn/train-classifier.js';
import { writeModelDir, type ManifestDraft } from '../model-dir.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { describeBackend, loadTensorflow } from '../tf-backend.js';
import { augmentBatch, type AugmentOptions } from './augment.js';
import { loadLabelledImages } from './dataset.js';

export interface VisionFitOptions {
  images: string;
  labels: string;
  /** model input is size×size grayscale */
  size: number;
  /** most epochs; default 40 */
  epochs?: number;
  /** validation share per class; default 0.2 */
  valSplit?: number;
  out: string;
  /** model name; default `vision` */
  name?: string;
  /** early-stopping patience in epochs; default 6 */
  patience?: number;
  seed?: number;
  augment?: AugmentOptions;
  progress?: ProgressReporter;
  /** told which backend trains */
  onBackend?: (line: string) => void;
}

export interface VisionFitResult {
  manifest: ModelManifest;
  backend: string;
}

/** `vision fit`: loads and checks every image, trains, exports fp32 + int8, evaluates both, writes the folder. */
export async function fitVision(opts: VisionFitOptions): Promise<VisionFitResult> {
  const progress = opts.progress ?? silentProgress;
  const started = Date.now();
  const data = loadLabelledImages(opts.images, opts.labels, { size: opts.size, progress });
  const rt = await loadTensorflow();
  installFastCpuKernels(rt.tf);
  opts.onBackend?.(describeBackend(rt));
  const seed = opts.seed ?? 1;
  const per = opts.size * opts.size;
  const { train, val } = stratifiedSplit(data.labels, data.classes.length, opts.valSplit ?? 0.2, seed);
  const pick = (idx: number[]): ClassifierSplit => ({ x: gather(data.pixels, per, idx), labels: Int32Array.from(idx, (i) => data.labels[i] as number) });
  const trainSet = pick(train);
  const valSet = pick(val);
  const sampleShape = [opts.size, opts.size, 1];
  const model = visionCnn(rt.tf, opts.size, data.classes.length, seed);
  try {
    const trained = await trainClassifier(rt.tf, model, trainSet, valSet, {
      sampleShape,
      classes: data.classes.length,
      epochs: opts.epochs ?? 40,
      patience: opts.patience ?? 6,
      seed,
      augment: (x, rng) => augmentBatch(x, opts.size, rng, opts.augment),
      normalization: channelStats(trainSet.x, 1),
      progress,
    });
    const exported = await exportClassifier(trained.model, trainSet, valSet, sampleShape, data.classes.length);
    const meanEpoch = trained.epochMs.reduce((a, b) => a + b, 0) / Math.max(1, trained.epochMs.length);
    const draft: ManifestDraft = {
      schemaVersion: 1,
      name: opts.name ?? 'vision',
      kind: 'cnn-vision',
      version: 1,
      createdAt: Date.now(),
      input: { name: 'input', shape: [null, opts.size, opts.size, 1], dtype: 'float32' },
      outputs: [{ name: 'output', shape: [null, data.classes.length] }],
      classes: data.classes,
      training: { samples: data.labels.length, source: `images:${basename(opts.labels)}`, backend: rt.backend, durationMs: Date.now() - started },
      metrics: {
        val_accuracy: exported.fp32Accuracy,
        val_accuracy_int8: exported.int8Accuracy,
        val_accuracy_tfjs: trained.valAccuracy,
        val_loss_tfjs: trained.valLoss,
        train_samples: train.length,
        val_samples: val.length,
        best_epoch: trained.bestEpoch,
        epochs_run: trained.epochsRun,
        epoch_ms_mean: meanEpoch,
      },
      quantization: exported.quantization,
    };
    return { manifest: writeModelDir(opts.out, draft, exported.fp32, { int8: exported.int8 }), backend: rt.backend };
  } finally {
    model.dispose();
  }
}
