// Inference benchmark: fp32 vs int8 of the vision CNN that `takt-trainer vision fit` trains on
// `takt-sim images` frames, in onnxruntime-node on CPU — latency (batch 1), throughput (batch 16),
// accuracy on held-out frames of another seed, and which kernels ran.
//   node --conditions=@takt/source --import tsx bench/src/inference/main.ts
// The trained model is cached in bench/results/.cache/ (first run ~5.5 min, later runs ~30 s).
// With 500 training frames the CNN reached only 86 % on held-out frames; 1000 reach 95 %.
// TAKT_BENCH_INFERENCE_{TRAIN (1000 frames), SIZE (32 px), EPOCHS (60), PATIENCE (12), TEST (500 frames),
// THREADS (1), ROUNDS1 (300), ROUNDS16 (80)}.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { profileKernels, quantizeInt8 } from '@takt/onnx';
import { tempDir, workspaceRoot } from '@takt/testing';
import { ratioOf, toMarkdown, type BenchReport, type BenchRow } from '../report.js';
import { classIndices, readFrames, simImages, type Frames } from './dataset.js';
import { accuracy, loadVariant, timeVariants, type Variant } from './measure.js';
import { explainKernels, formatOps } from './kernels.js';
import { cacheKey, ensureVisionModel, type TrainSettings, type VisionModel } from './model.js';

const num = (name: string, fallback: number) => Number(process.env[`TAKT_BENCH_INFERENCE_${name}`] ?? fallback);
/** sim seed of the held-out frames; the training frames use seed 1 */
const HELD_OUT_SEED = 2;
/** session runs averaged per kernel profile (the first, cold one included) */
const PROFILE_RUNS = 200;

/** Held-out frames from another simulator seed, generated into a temp folder and read back. */
async function heldOutFrames(count: number, size: number): Promise<Frames> {
  const dir = tempDir('takt-bench-inference-');
  try {
    await simImages(dir.path, count, size, HELD_OUT_SEED);
    return readFrames(dir.path, size);
  } finally {
    dir.remove();
  }
}

/**
 * The trainer's own int8 keeps convolutions with dot products shorter than 32 (the first 3×3 conv on
 * one gray channel: 9) in fp32. This variant quantizes every one (`minReduction: 0`), calibrated
 * like the trainer does (min-max over the first 256 training frames, batches of 32).
 */
async function quantizeAll(model: VisionModel, size: number): Promise<Uint8Array> {
  const train = readFrames(model.trainImages, size);
  const per = size * size;
  const n = Math.min(256, train.labels.length);
  const calibration: Float32Array[] = [];
  for (let i = 0; i < n; i += 32) calibration.push(train.x.slice(i * per, Math.min(n, i + 32) * per));
  return quantizeInt8(model.fp32, calibration, { inputShape: [32, size, size, 1], method: 'minmax', minReduction: 0 });
}

/**
 * fp32 vs int8 (QDQ, as `takt-trainer` exports them) of the same trained vision CNN in
 * onnxruntime-node on CPU: latency at batch 1, throughput at batch 16, held-out accuracy, kernels.
 */
export async function run(): Promise<BenchReport> {
  const settings: TrainSettings = {
    count: num('TRAIN', 1000),
    size: num('SIZE', 32),
    seed: 1,
    epochs: num('EPOCHS', 60),
    patience: num('PATIENCE', 12),
  };
  const threads = num('THREADS', 1);
  const shape = [settings.size, settings.size, 1];
  const model = await ensureVisionModel(join(workspaceRoot(), 'bench', 'results', '.cache', 'inference'), settings);
  const classes = model.manifest.classes ?? [];
  const heldOut = await heldOutFrames(num('TEST', 500), settings.size);
  const y = classIndices(heldOut.labels, classes);
  const int8All = await quantizeAll(model, settings.size);
  const variants: Variant[] = [];
  try {
    variants.push(
      await loadVariant('fp32', model.fp32, threads),
      await loadVariant('int8', model.int8, threads),
      await loadVariant('int8-all', int8All, threads),
    );
    const acc = new Map<string, Awaited<ReturnType<typeof accuracy>>>();
    for (const v of variants) acc.set(v.name, await accuracy(v, heldOut.x, y, shape, classes.length));
    const b1 = await timeVariants(variants, heldOut.x, shape, 1, num('ROUNDS1', 300));
    const b16 = await timeVariants(variants, heldOut.x, shape, 16, num('ROUNDS16', 80));
    const batch16 = {
      input: new ort.Tensor('float32', heldOut.x.slice(0, 16 * shape.reduce((a, b) => a * b, 1)), [16, ...shape]),
    };
    const profiles: Record<string, Record<string, number>> = {};
    for (const [name, bytes] of [
      ['fp32', model.fp32],
      ['int8', model.int8],
      ['int8-all', int8All],
    ] as const)
      profiles[name] = (await profileKernels(bytes, batch16, { runs: PROFILE_RUNS, threads })).opTimeUs;
    return report({
      model,
      settings,
      acc,
      b1,
      b16,
      profiles,
      threads,
      sizes: { fp32: model.fp32.length, int8: model.int8.length },
      test: y.length,
    });
  } finally {
    for (const v of variants) await v.session.release();
  }
}

interface Results {
  model: VisionModel;
  settings: TrainSettings;
  acc: Map<string, { accuracy: number; predictions: number[] }>;
  b1: Map<string, number>;
  b16: Map<string, number>;
  profiles: Record<string, Record<string, number>>;
  threads: number;
  sizes: { fp32: number; int8: number };
  test: number;
}

function rowsOf(r: Results): BenchRow[] {
  const ms = (m: Map<string, number>, k: string) => m.get(k) as number;
  const accOf = (k: string) => (r.acc.get(k)?.accuracy ?? 0) * 100;
  const fpPred = r.acc.get('fp32')?.predictions ?? [];
  const agree = (k: string) =>
    (100 * (r.acc.get(k)?.predictions ?? []).filter((c, i) => c === fpPred[i]).length) / Math.max(1, fpPred.length);
  const tput = (k: string) => (16 * 1000) / ms(r.b16, k);
  const m = r.model.manifest.metrics;
  const val = `trainer's validation split (${m['val_samples']} frames): fp32 ${((m['val_accuracy'] ?? NaN) * 100).toFixed(1)} %, int8 ${((m['val_accuracy_int8'] ?? NaN) * 100).toFixed(1)} %`;
  return [
    {
      metric: 'latency, batch 1 (median)',
      unit: 'ms',
      ours: ms(r.b1, 'int8'),
      peer: ms(r.b1, 'fp32'),
      peerName: 'fp32',
      ratio: ratioOf(ms(r.b1, 'fp32'), ms(r.b1, 'int8')),
      note: 'ratio = fp32 / int8 (speed-up)',
    },
    {
      metric: 'throughput, batch 16',
      unit: 'img/s',
      ours: tput('int8'),
      peer: tput('fp32'),
      peerName: 'fp32',
      target: 'int8 ≥ 2× fp32',
    },
    {
      metric: 'throughput, batch 16, int8 incl. first conv',
      unit: 'img/s',
      ours: tput('int8-all'),
      peer: tput('fp32'),
      peerName: 'fp32',
      note: 'minReduction 0: the 1-channel 3×3 conv as QLinearConv too',
    },
    {
      metric: `held-out top-1 accuracy, fp32 (${r.test} frames, sim seed ${HELD_OUT_SEED})`,
      unit: '%',
      ours: accOf('fp32'),
      target: '≥ 95 %',
      note: val,
    },
    {
      metric: 'held-out top-1 accuracy, int8',
      unit: '%',
      ours: accOf('int8'),
      peer: accOf('fp32'),
      peerName: 'fp32',
      target: '≤ 1 point lost',
      note: `${(accOf('fp32') - accOf('int8')).toFixed(2)} points lost; int8-all ${accOf('int8-all').toFixed(1)} %`,
    },
    {
      metric: 'top-1 agreement int8 vs fp32',
      unit: '%',
      ours: agree('int8'),
      note: `int8-all: ${agree('int8-all').toFixed(2)} %`,
    },
    { metric: 'model size', unit: 'bytes', ours: r.sizes.int8, peer: r.sizes.fp32, peerName: 'fp32' },
  ];
}

function report(r: Results): BenchReport {
  const { manifest, cached, wallSeconds } = r.model;
  const s = r.settings;
  const trained = cached
    ? `reused from bench/results/.cache/inference/${cacheKey(s)} (trained ${new Date(manifest.createdAt).toISOString()}, fit ${((manifest.training.durationMs ?? NaN) / 1000).toFixed(0)} s; delete the folder to retrain)`
    : `trained in this run: ${wallSeconds?.toFixed(0)} s wall for frames + fit (fit alone ${((manifest.training.durationMs ?? NaN) / 1000).toFixed(0)} s)`;
  return {
    name: 'inference',
    rows: rowsOf(r),
    notes: [
      `Model: the vision CNN of \`takt-trainer vision fit\` (conv-BN-ReLU stages sized by the input, global max-pool, BN folded at export; tfjs "${manifest.training.backend}" backend) on ${s.count} \`takt-sim images\` frames ${s.size}×${s.size} (seed ${s.seed}, 5 classes, 20 % validation), ${manifest.metrics['epochs_run']} epochs run (best ${manifest.metrics['best_epoch']}, max ${s.epochs}, patience ${s.patience}); ${trained}.`,
      `int8 = the trainer's model.int8.onnx (quantizeInt8: QDQ, per-channel int8 weights, uint8 activations, min-max calibration; convs with dot products < 32 stay fp32). Held-out: ${r.test} frames from sim seed ${HELD_OUT_SEED}, never seen in training.`,
      `onnxruntime-node CPU EP, graph optimisation 'all', ${r.threads} intra-op thread(s); variants interleaved run by run, median of each. The machine is shared with other work: numbers are provisional.`,
      `Kernels at batch 16 (onnxruntime profile, mean of ${PROFILE_RUNS} runs), ms per run — fp32: ${formatOps(r.profiles['fp32'] ?? {})}`,
      `int8: ${formatOps(r.profiles['int8'] ?? {})}`,
      `int8-all: ${formatOps(r.profiles['int8-all'] ?? {})}`,
      explainKernels(r.profiles['fp32'] ?? {}, r.profiles['int8'] ?? {}, r.profiles['int8-all'] ?? {}),
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await run();
  process.stdout.write(toMarkdown(report) + '\n');
}
