import { basename } from 'node:path';
import type { ModelManifest } from '@takt/contracts';
import { TrainerError } from '../errors.js';
import { installFastCpuKernels } from '../cnn/cpu-kernels.js';
import { exportClassifier } from '../cnn/export.js';
import { channelStats } from '../cnn/fold.js';
import { faultCnn } from '../cnn/models.js';
import { gather, stratifiedSplit } from '../cnn/split.js';
import { trainClassifier, type ClassifierSplit } from '../cnn/train-classifier.js';
import { holdoutPosition } from '../vision/holdout.js';
import { writeModelDir, type ManifestDraft } from '../model-dir.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { readTruth } from '../raw/recording.js';
import { describeBackend, loadTensorflow } from '../tf-backend.js';
import { labelWindows, rawWindows, type FaultWindowSpec } from './windows.js';

export interface FaultFitOptions extends FaultWindowSpec {
  /** raw.jsonl from `takt-sim record` (or recorded from the plant) */
  raw: string;
  /** truth.csv `machine,fault,start,end` (simulator ground truth or exported engineer labels) */
  truth: string;
  epochs?: number;
  valSplit?: number;
  /** fewest windows a class may have; default 10 */
  minPerClass?: number;
  out: string;
  name?: string;
  seed?: number;
  progress?: ProgressReporter;
  onBackend?: (line: string) => void;
}

/** Labelled, resampled windows: what the fault CNN learns from (`[length, channels]` each, channels-last). */
export interface FaultTrainingSet {
  sensors: string[];
  /** samples per channel */
  length: number;
  lengthMs: number;
  hopMs: number;
  /** N·length·channels */
  x: Float32Array;
  /** class name of each window */
  names: string[];
  /**
   * the recording each window was cut from (e.g. an evidence id): overlapping windows of one recording are
   * near copies, so when given, validation takes whole recordings (by a hash of the id) and never a neighbour
   * of a training window
   */
  groups?: string[];
}

/** Validation by whole groups: a group is held out when its hash position is under `share`; every class keeps training windows. */
export function groupSplit(
  labels: Int32Array,
  groups: string[],
  classes: number,
  share: number,
): { train: number[]; val: number[] } {
  const held = new Set(groups.filter((g) => holdoutPosition(g) < share));
  if (held.size === 0 && groups.length > 0)
    held.add([...new Set(groups)].sort((a, b) => holdoutPosition(a) - holdoutPosition(b))[0] as string);
  for (let c = 0; c < classes; c++) {
    const mine = groups.filter((_, i) => labels[i] === c);
    // a class whose every recording was held out would have nothing to learn from: its recordings train
    if (mine.length > 0 && mine.every((g) => held.has(g))) for (const g of mine) held.delete(g);
  }
  const train: number[] = [];
  const val: number[] = [];
  groups.forEach((g, i) => (held.has(g) ? val : train).push(i));
  return { train, val };
}

export interface FaultTrainOptions {
  epochs?: number;
  valSplit?: number;
  /** fewest windows a class may have; default 10 */
  minPerClass?: number;
  name?: string;
  seed?: number;
  /** where the windows came from, for the manifest */
  source: string;
  progress?: ProgressReporter;
  onBackend?: (line: string) => void;
}

/** A trained, exported and evaluated fault CNN, not yet written anywhere. */
export interface TrainedFault {
  draft: ManifestDraft;
  fp32: Uint8Array;
  int8: Uint8Array;
  classes: string[];
  /** the validation windows both artifacts were scored on (a promotion gate scores the current model on them too) */
  val: ClassifierSplit;
  sampleShape: number[];
  backend: string;
}

/** Trains the 1-D CNN on labelled windows (stratified validation split), exports fp32 + int8, evaluates both. */
export async function trainFault(set: FaultTrainingSet, opts: FaultTrainOptions): Promise<TrainedFault> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  const names = set.names;
  const classes = [...new Set(names)].sort();
  if (classes.length < 2)
    throw new TrainerError(
      'BAD_LABELS',
      `${opts.source} leaves ${classes.length} class(es) (${classes.join(', ')}); a classifier needs at least 2`,
    );
  for (const c of classes) {
    const n = names.filter((l) => l === c).length;
    if (n < (opts.minPerClass ?? 10))
      throw new TrainerError(
        'TOO_FEW_ROWS',
        `class "${c}" has ${n} window(s); at least ${opts.minPerClass ?? 10} are needed`,
      );
  }
  const labels = Int32Array.from(names, (l) => classes.indexOf(l));
  const rt = await loadTensorflow();
  installFastCpuKernels(rt.tf);
  opts.onBackend?.(describeBackend(rt));
  const seed = opts.seed ?? 1;
  const channels = set.sensors.length;
  const per = set.length * channels;
  const split = set.groups
    ? groupSplit(labels, set.groups, classes.length, opts.valSplit ?? 0.2)
    : stratifiedSplit(labels, classes.length, opts.valSplit ?? 0.2, seed);
  if (split.val.length === 0)
    throw new TrainerError(
      'TOO_FEW_ROWS',
      `no window is left for validation: ${new Set(set.groups).size} recording(s) of ${classes.join(', ')}; more labelled recordings are needed`,
    );
  const pick = (idx: number[]): ClassifierSplit => ({
    x: gather(set.x, per, idx),
    labels: Int32Array.from(idx, (i) => labels[i] as number),
  });
  const train = pick(split.train);
  const val = pick(split.val);
  const sampleShape = [set.length, channels];
  const model = faultCnn(rt.tf, set.length, channels, classes.length, seed);
  try {
    const trained = await trainClassifier(rt.tf, model, train, val, {
      sampleShape,
      classes: classes.length,
      epochs: opts.epochs ?? 30,
      seed,
      normalization: channelStats(train.x, channels),
      progress,
    });
    const exported = await exportClassifier(trained.model, train, val, sampleShape, classes.length);
    const draft: ManifestDraft = {
      schemaVersion: 1,
      name: opts.name ?? 'fault',
      kind: 'cnn-fault',
      version: 1,
      createdAt: Date.now(),
      input: {
        name: 'input',
        shape: [null, set.length, channels],
        dtype: 'float32',
        window: {
          lengthMs: set.lengthMs,
          hopMs: set.hopMs,
          sensors: set.sensors,
          sampleRate: (set.length * 1000) / set.lengthMs,
        },
      },
      outputs: [{ name: 'output', shape: [null, classes.length] }],
      classes,
      training: {
        samples: labels.length,
        source: opts.source.slice(0, 256),
        backend: rt.backend,
        durationMs: Date.now() - started,
      },
      metrics: {
        val_accuracy: exported.fp32Accuracy,
        val_accuracy_int8: exported.int8Accuracy,
        val_accuracy_tfjs: trained.valAccuracy,
        train_samples: train.labels.length,
        val_samples: val.labels.length,
        best_epoch: trained.bestEpoch,
        epochs_run: trained.epochsRun,
        epoch_ms_mean: trained.epochMs.reduce((a, b) => a + b, 0) / Math.max(1, trained.epochMs.length),
      },
      quantization: exported.quantization,
    };
    return { draft, fp32: exported.fp32, int8: exported.int8, classes, val, sampleShape, backend: rt.backend };
  } finally {
    model.dispose();
  }
}

/** `fault fit`: windows raw samples, labels them from truth, trains the 1-D CNN, exports fp32 + int8. */
export async function fitFault(opts: FaultFitOptions): Promise<{ manifest: ModelManifest; backend: string }> {
  const progress = opts.progress ?? silentProgress;
  const truth = readTruth(opts.truth);
  const raw = await rawWindows(opts.raw, opts, progress);
  const { x, labels: names } = labelWindows(raw, truth);
  const t = await trainFault(
    { sensors: raw.sensors, length: raw.length, lengthMs: raw.lengthMs, hopMs: raw.hopMs, x, names },
    {
      source: `raw:${basename(opts.raw)}+${basename(opts.truth)}`,
      progress,
      ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
      ...(opts.valSplit !== undefined ? { valSplit: opts.valSplit } : {}),
      ...(opts.minPerClass !== undefined ? { minPerClass: opts.minPerClass } : {}),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.onBackend ? { onBackend: opts.onBackend } : {}),
    },
  );
  return { manifest: writeModelDir(opts.out, t.draft, t.fp32, { int8: t.int8 }), backend: t.backend };
}
