import { basename } from 'node:path';
import type { ModelManifest } from '@takt/contracts';
import { exportClassifier } from '../cnn/export.js';
import { channelStats } from '../cnn/fold.js';
import { installFastCpuKernels } from '../cnn/cpu-kernels.js';
import { visionCnn } from '../cnn/models.js';
import { gather, stratifiedSplit } from '../cnn/split.js';
import { trainClassifier, type ClassifierSplit } from '../cnn/train-classifier.js';
import { TrainerError } from '../errors.js';
import { writeModelDir, type ManifestDraft } from '../model-dir.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { describeBackend, loadTensorflow } from '../tf-backend.js';
import { augmentBatch, type AugmentOptions } from './augment.js';
import { loadLabelledImages, type LabelledImageSet } from './dataset.js';
import { hashHoldout } from './holdout.js';
import { evaluateVision, evaluationMetrics, goodClassOf, type VisionEvaluation } from './report.js';

/** The one place `vision fit`'s defaults live (the CLI and the docs read them from here). */
export const VISION_FIT_DEFAULTS = {
  /** px: thin cracks survive area-averaging to 128, and a 2-core CPU trains it in minutes */
  size: 128,
  epochs: 80,
  /** held-out test share, chosen by file-name hash (`holdout.ts`) */
  holdout: 0.3,
  /** share of the training images (stratified, seeded) that decides early stopping */
  valSplit: 0.15,
  patience: 20,
  /** Adam, warm-up 2 epochs then cosine decay */
  learningRate: 0.003,
  /** small batches: twice the updates per epoch of 32, and batch norm still sees 16 images */
  batchSize: 16,
  seed: 1,
} as const;

export interface VisionFitOptions {
  images: string;
  labels: string;
  /** model input is size×size grayscale; default 128 */
  size?: number;
  /** most epochs; default 80 (the cosine schedule spans them) */
  epochs?: number;
  /** held-out test share by file-name hash; default 0.3 */
  holdout?: number;
  /** early-stopping share of the training images; default 0.15 */
  valSplit?: number;
  out: string;
  /** model name; default `vision` */
  name?: string;
  /** early-stopping patience in epochs; default 20 */
  patience?: number;
  /** the label of good parts, for the good/defect figures; default: the one label like ok/good/free/normal */
  goodClass?: string;
  seed?: number;
  augment?: AugmentOptions;
  progress?: ProgressReporter;
  /** told which backend trains */
  onBackend?: (line: string) => void;
}

export interface VisionFitResult {
  manifest: ModelManifest;
  backend: string;
  evaluation: VisionEvaluation;
  testSamples: number;
}

interface Splits {
  train: ClassifierSplit;
  val: ClassifierSplit;
  test: ClassifierSplit;
}

/** Test by file-name hash; from the rest, a stratified early-stopping share. */
function splitImages(data: LabelledImageSet, holdout: number, valSplit: number, seed: number): Splits {
  const per = data.size * data.size;
  const { train: rest, test } = hashHoldout(data.files, holdout);
  data.classes.forEach((c, k) => {
    if (!rest.some((i) => data.labels[i] === k))
      throw new TrainerError(
        'TOO_FEW_IMAGES',
        `class "${c}" has no image left for training after the ${holdout} held-out share`,
      );
  });
  const restLabels = Int32Array.from(rest, (i) => data.labels[i] as number);
  const inner = stratifiedSplit(restLabels, data.classes.length, valSplit, seed);
  const pick = (idx: number[]): ClassifierSplit => ({
    x: gather(data.pixels, per, idx),
    labels: Int32Array.from(idx, (i) => data.labels[i] as number),
  });
  return {
    train: pick(inner.train.map((j) => rest[j] as number)),
    val: pick(inner.val.map((j) => rest[j] as number)),
    test: pick(test),
  };
}

/** `vision fit`: loads and checks every image, trains, exports fp32 + int8, evaluates both on the held-out test images, writes the folder. */
export async function fitVision(opts: VisionFitOptions): Promise<VisionFitResult> {
  const d = VISION_FIT_DEFAULTS;
  const progress = opts.progress ?? silentProgress;
  const started = Date.now();
  const size = opts.size ?? d.size;
  const data = loadLabelledImages(opts.images, opts.labels, { size, progress });
  const good = goodClassOf(data.classes, opts.goodClass);
  const rt = await loadTensorflow();
  installFastCpuKernels(rt.tf);
  opts.onBackend?.(describeBackend(rt));
  const seed = opts.seed ?? d.seed;
  const { train, val, test } = splitImages(data, opts.holdout ?? d.holdout, opts.valSplit ?? d.valSplit, seed);
  const sampleShape = [size, size, 1];
  const model = visionCnn(rt.tf, size, data.classes.length, seed);
  try {
    const trained = await trainClassifier(rt.tf, model, train, val, {
      sampleShape,
      classes: data.classes.length,
      epochs: opts.epochs ?? d.epochs,
      patience: opts.patience ?? d.patience,
      learningRate: d.learningRate,
      schedule: 'cosine',
      batchSize: d.batchSize,
      seed,
      augment: (x, rng) => augmentBatch(x, size, rng, opts.augment),
      normalization: channelStats(train.x, 1),
      progress,
    });
    const exported = await exportClassifier(trained.model, train, test, sampleShape, data.classes.length);
    const evaluation = evaluateVision(data.classes, test.labels, exported.fp32Predicted, exported.int8Predicted, good);
    const meanEpoch = trained.epochMs.reduce((a, b) => a + b, 0) / Math.max(1, trained.epochMs.length);
    const draft: ManifestDraft = {
      schemaVersion: 1,
      name: opts.name ?? 'vision',
      kind: 'cnn-vision',
      version: 1,
      createdAt: Date.now(),
      input: { name: 'input', shape: [null, size, size, 1], dtype: 'float32' },
      outputs: [{ name: 'output', shape: [null, data.classes.length] }],
      classes: data.classes,
      training: {
        samples: data.labels.length,
        source: `images:${basename(opts.labels)}`,
        backend: rt.backend,
        durationMs: Date.now() - started,
      },
      metrics: {
        // `val_accuracy*` stay the ONNX figures the edge and the service read: on the held-out test images
        val_accuracy: exported.fp32Accuracy,
        val_accuracy_int8: exported.int8Accuracy,
        ...evaluationMetrics(evaluation),
        early_stop_accuracy_tfjs: trained.valAccuracy,
        early_stop_loss_tfjs: trained.valLoss,
        train_samples: train.labels.length,
        early_stop_samples: val.labels.length,
        test_samples: test.labels.length,
        val_samples: test.labels.length,
        best_epoch: trained.bestEpoch,
        epochs_run: trained.epochsRun,
        epoch_ms_mean: meanEpoch,
      },
      quantization: exported.quantization,
    };
    return {
      manifest: writeModelDir(opts.out, draft, exported.fp32, { int8: exported.int8 }),
      backend: rt.backend,
      evaluation,
      testSamples: test.labels.length,
    };
  } finally {
    model.dispose();
  }
}
