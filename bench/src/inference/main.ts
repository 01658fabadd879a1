import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { profileKernels, quantizeInt8, tfjsToOnnx } from '@takt/onnx';
import { ratioOf, toMarkdown, type BenchReport, type BenchRow } from '../report.js';
import { CLASSES, cameraDataset } from './dataset.js';
import { accuracy, loadVariant, timeVariants, type Variant } from './measure.js';
import { train, visionCnn } from './train.js';

const SIZE = 64;
const SHAPE = [SIZE, SIZE, 1];
const num = (name: string, fallback: number) => Number(process.env[`TAKT_BENCH_INFERENCE_${name}`] ?? fallback);

const fmtOps = (ops: Record<string, number>) =>
  Object.entries(ops)
    .sort((a, b) => b[1] - a[1])
    .map(([op, us]) => `${op} ${(us / 1000).toFixed(2)}`)
    .join(', ');

/**
 * fp32 vs int8 (QDQ, from `quantizeInt8`) of the same trained 64×64 vision CNN in onnxruntime-node
 * on CPU: latency at batch 1, throughput at batch 16, held-out accuracy, and which kernels ran.
 */
export async function run(): Promise<BenchReport> {
  await tf.setBackend('cpu');
  const threads = num('THREADS', 1);
  const trainSet = cameraDataset(num('TRAIN', 250), SIZE, 1);
  const heldOut = cameraDataset(num('TEST', 300), SIZE, 2);
  const model = visionCnn(SIZE);
  const trainSeconds = await train(model, trainSet, SIZE, num('EPOCHS', 3));
  const fp32 = tfjsToOnnx(model);
  const per = SIZE * SIZE;
  const calibration = [0, 1, 2, 3].map((i) => trainSet.x.slice(i * 16 * per, (i + 1) * 16 * per));
  const qopts = { inputShape: [16, ...SHAPE], method: 'percentile' as const, percentile: 99.99 };
  const int8 = await quantizeInt8(fp32, calibration, qopts);
  const int8All = await quantizeInt8(fp32, calibration, { ...qopts, minReduction: 0 });
  const variants: Variant[] = [await loadVariant('fp32', fp32, threads), await loadVariant('int8', int8, threads), await loadVariant('int8-all', int8All, threads)];
  try {
    const acc = new Map<string, Awaited<ReturnType<typeof accuracy>>>();
    for (const v of variants) acc.set(v.name, await accuracy(v, heldOut.x, heldOut.y, SHAPE, CLASSES.length));
    const b1 = await timeVariants(variants, heldOut.x, SHAPE, 1, num('ROUNDS1', 300));
    const b16 = await timeVariants(variants, heldOut.x, SHAPE, 16, num('ROUNDS16', 80));
    const batch16 = new ort.Tensor('float32', heldOut.x.slice(0, 16 * per), [16, ...SHAPE]);
    const profiles = {
      fp32: await profileKernels(fp32, { input: batch16 }, { runs: 20, threads }),
      int8: await profileKernels(int8, { input: batch16 }, { runs: 20, threads }),
      'int8-all': await profileKernels(int8All, { input: batch16 }, { runs: 20, threads }),
    };
    return report({ acc, b1, b16, profiles, trainSeconds, threads, sizes: { fp32: fp32.length, int8: int8.length }, samples: { train: trainSet.y.length, test: heldOut.y.length } });
  } finally {
    for (const v of variants) await v.session.release();
  }
}

interface Results {
  acc: Map<string, { accuracy: number; predictions: number[] }>;
  b1: Map<string, number>;
  b16: Map<string, number>;
  profiles: Record<string, { opTimeUs: Record<string, number> }>;
  trainSeconds: number;
  threads: number;
  sizes: { fp32: number; int8: number };
  samples: { train: number; test: number };
}

function report(r: Results): BenchReport {
  const ms = (m: Map<string, number>, k: string) => m.get(k) as number;
  const accOf = (k: string) => (r.acc.get(k)?.accuracy ?? 0) * 100;
  const fpPred = r.acc.get('fp32')?.predictions ?? [];
  const agree = (k: string) => (100 * (r.acc.get(k)?.predictions ?? []).filter((c, i) => c === fpPred[i]).length) / Math.max(1, fpPred.length);
  const tput = (k: string) => (16 * 1000) / ms(r.b16, k);
  const rows: BenchRow[] = [
    { metric: 'latency, batch 1 (median)', unit: 'ms', ours: ms(r.b1, 'int8'), peer: ms(r.b1, 'fp32'), peerName: 'fp32', ratio: ratioOf(ms(r.b1, 'fp32'), ms(r.b1, 'int8')), note: 'ratio = fp32 / int8 (speed-up)' },
    { metric: 'throughput, batch 16', unit: 'img/s', ours: tput('int8'), peer: tput('fp32'), peerName: 'fp32', target: 'int8 ≥ 2× fp32' },
    { metric: 'throughput, batch 16, int8 incl. first conv', unit: 'img/s', ours: tput('int8-all'), peer: tput('fp32'), peerName: 'fp32', note: 'minReduction 0: the 1-channel 5×5 conv as QLinearConv too' },
    { metric: 'held-out top-1 accuracy', unit: '%', ours: accOf('int8'), peer: accOf('fp32'), peerName: 'fp32', target: '≤ 1 point lost', note: `${(accOf('fp32') - accOf('int8')).toFixed(2)} points lost` },
    { metric: 'top-1 agreement int8 vs fp32', unit: '%', ours: agree('int8'), note: `int8-all: ${agree('int8-all').toFixed(2)} %` },
    { metric: 'model size', unit: 'bytes', ours: r.sizes.int8, peer: r.sizes.fp32, peerName: 'fp32' },
  ];
  return {
    name: 'inference',
    rows,
    notes: [
      `Same trained CNN (tfjs CPU, ${r.samples.train} simulator camera frames 64×64 gray, 5 classes, ${r.trainSeconds.toFixed(0)} s training), exported with tfjsToOnnx; int8 = quantizeInt8 (QDQ, per-channel int8 weights, uint8 activations, percentile 99.99 on 64 training frames). Held-out set: ${r.samples.test} frames from another seed.`,
      `onnxruntime-node CPU EP, graph optimisation 'all', ${r.threads} intra-op thread(s); fp32 and int8 runs interleaved, median of each. The machine is shared with other work: numbers are provisional.`,
      `Kernels at batch 16, ms per run — fp32: ${fmtOps(r.profiles['fp32']?.opTimeUs ?? {})}`,
      `int8: ${fmtOps(r.profiles['int8']?.opTimeUs ?? {})}`,
      `int8-all: ${fmtOps(r.profiles['int8-all']?.opTimeUs ?? {})}`,
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await run();
  process.stdout.write(toMarkdown(report) + '\n');
}
