import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxExportError } from '../errors.js';
import { kmeansToOnnx } from '../kmeans.js';
import { profileKernels } from '../profile.js';
import { onnx } from '../proto.js';
import { tfjsToOnnx } from '../tfjs/export.js';
import { ort, runOnnx } from '../testing/helpers.js';
import { shapesDataset } from '../testing/shapes.js';
import { useCpuBackend } from '../testing/tf.js';
import { quantizeInt8 } from './quantize.js';

const SIZE = 16;
const argmax = (p: Float32Array, k: number) =>
  Array.from({ length: p.length / k }, (_, n) => {
    const row = Array.from(p.subarray(n * k, (n + 1) * k));
    return row.indexOf(Math.max(...row));
  });

/** Trains a small CNN on the shapes set with tfjs CPU (a few seconds) and exports it. */
async function trainedModel(): Promise<{ fp32: Uint8Array; model: tf.LayersModel; accuracy: number }> {
  const L = tf.layers;
  const model = tf.sequential({
    layers: [
      L.inputLayer({ inputShape: [SIZE, SIZE, 1] }),
      L.conv2d({
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({
        filters: 16,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
      L.batchNormalization(),
      L.reLU(),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const train = shapesDataset(150, SIZE, 1);
  const xs = tf.tensor4d(train.x, [150, SIZE, SIZE, 1]);
  const ys = tf.tensor1d(train.y, 'float32');
  await model.fit(xs, ys, { epochs: 8, batchSize: 15, shuffle: false, verbose: 0 }); // ~1200 image-steps: seconds on tfjs CPU
  tf.dispose([xs, ys]);
  const test = shapesDataset(300, SIZE, 99);
  const pred = tf.tidy(
    () => (model.predict(tf.tensor4d(test.x, [300, SIZE, SIZE, 1])) as tf.Tensor).dataSync() as Float32Array,
  );
  const accuracy = argmax(pred, 3).filter((c, i) => c === test.y[i]).length / 300;
  return { fp32: tfjsToOnnx(model), model, accuracy };
}

describe('quantizeInt8', () => {
  let trained: Awaited<ReturnType<typeof trainedModel>>;
  const held = shapesDataset(300, SIZE, 1234);
  const calibration = [0, 1, 2, 3].map((i) => shapesDataset(32, SIZE, 500 + i).x);
  const heldInput = () => ({ input: new ort.Tensor('float32', held.x, [300, SIZE, SIZE, 1]) });

  beforeAll(async () => {
    await useCpuBackend();
    trained = await trainedModel();
  }, 60_000);

  it('the trained fp32 model is a real classifier (held-out accuracy ≥ 90%)', () => {
    expect(trained.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it.each([
    ['minmax, every weighted op int8', { method: 'minmax' as const, minReduction: 0 }],
    ['percentile 99.99, default float first conv', { method: 'percentile' as const, percentile: 99.99 }],
  ])('int8 agrees with fp32 on top-1 for at least 99 percent of held-out inputs: %s', async (_name, opts) => {
    const int8 = await quantizeInt8(trained.fp32, calibration, { inputShape: [32, SIZE, SIZE, 1], ...opts });
    const fp = argmax((await runOnnx(trained.fp32, heldInput()))['output']?.data as Float32Array, 3);
    const q = argmax((await runOnnx(int8, heldInput()))['output']?.data as Float32Array, 3);
    const agree = fp.filter((c, i) => c === q[i]).length / fp.length;
    process.stderr.write(`int8 top-1 agreement (${_name}): ${(agree * 100).toFixed(2)}%\n`);
    expect(agree).toBeGreaterThanOrEqual(0.99);
    expect(int8.length).toBeLessThan(trained.fp32.length); // int8 weights, not a copy with extra nodes
  });

  it('is QDQ with per-channel int8 weights, and onnxruntime runs it as QLinearConv / QGemm', async () => {
    const int8 = await quantizeInt8(trained.fp32, calibration, { inputShape: [32, SIZE, SIZE, 1], minReduction: 0 });
    const graph = onnx.ModelProto.decode(int8).graph;
    const weightDq = graph?.node?.filter(
      (n) => n.opType === 'DequantizeLinear' && n.attribute?.some((a) => a.name === 'axis'),
    );
    expect(weightDq?.length).toBeGreaterThanOrEqual(3);
    const int8Weights = graph?.initializer?.filter((t) => t.dataType === 3 && (t.dims?.length ?? 0) >= 2);
    expect(int8Weights?.map((t) => (t.dims ?? []).map(Number))).toEqual([
      [6, 1, 3, 3],
      [16, 6, 3, 3],
      [256, 3],
    ]);
    const profile = await profileKernels(
      int8,
      { input: new ort.Tensor('float32', calibration[0] as Float32Array, [32, SIZE, SIZE, 1]) },
      { runs: 2 },
    );
    const ops = Object.keys(profile.opTimeUs);
    expect(ops).toContain('QLinearConv');
    expect(ops).toContain('QGemm');
    expect(ops).not.toContain('Conv');
    const fpOps = Object.keys(
      (
        await profileKernels(
          trained.fp32,
          { input: new ort.Tensor('float32', calibration[0] as Float32Array, [32, SIZE, SIZE, 1]) },
          { runs: 1 },
        )
      ).opTimeUs,
    );
    expect(fpOps).not.toContain('QLinearConv');
  });

  it('keeps a tiny first conv (1 channel × 3×3 = 9 < 32) in fp32 by default', async () => {
    const int8 = await quantizeInt8(trained.fp32, calibration, { inputShape: [32, SIZE, SIZE, 1] });
    const graph = onnx.ModelProto.decode(int8).graph;
    expect(
      graph?.initializer?.filter((t) => t.dataType === 3 && (t.dims?.length ?? 0) >= 2).map((t) => Number(t.dims?.[0])),
    ).toEqual([16, 256]);
  });

  it('runs the pool after a float first conv in fp32: the ReLU moves after the pool, so onnxruntime cannot hoist the quantize above it', async () => {
    const int8 = await quantizeInt8(trained.fp32, calibration, { inputShape: [32, SIZE, SIZE, 1] });
    const nodes = onnx.ModelProto.decode(int8).graph?.node ?? [];
    const ops = nodes.map((n) => n.opType);
    const conv = ops.indexOf('Conv');
    expect(ops.slice(conv, conv + 4)).toEqual(['Conv', 'MaxPool', 'Relu', 'QuantizeLinear']);
    // what onnxruntime makes of it: the first MaxPool reads float data, not a QuantizeLinear's uint8
    const dir = mkdtempSync(join(tmpdir(), 'takt-int8-opt-'));
    try {
      const file = join(dir, 'optimized.onnx');
      await (
        await ort.InferenceSession.create(int8, {
          graphOptimizationLevel: 'all',
          optimizedModelFilePath: file,
          intraOpNumThreads: 1,
        })
      ).release();
      const optimized = onnx.ModelProto.decode(readFileSync(file)).graph?.node ?? [];
      const producerOf = new Map(optimized.flatMap((n) => (n.output ?? []).map((o) => [o, n.opType] as const)));
      const pools = optimized.filter((n) => n.opType === 'MaxPool');
      expect(pools.length).toBeGreaterThan(0);
      for (const p of pools) expect(producerOf.get(p.input?.[0] ?? '')).not.toBe('QuantizeLinear');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('BAD INPUT - calibration batch of the wrong size → INVALID_PARAMS', async () => {
    await expect(
      quantizeInt8(trained.fp32, [new Float32Array(100)], { inputShape: [1, SIZE, SIZE, 1] }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    await expect(quantizeInt8(trained.fp32, [], { inputShape: [1, SIZE, SIZE, 1] })).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    });
    await expect(
      quantizeInt8(trained.fp32, calibration, {
        inputShape: [32, SIZE, SIZE, 1],
        method: 'percentile',
        percentile: 20,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
  });

  it('BAD INPUT - not an ONNX model → INVALID_MODEL; no weighted ops → UNSUPPORTED_CONFIG', async () => {
    await expect(
      quantizeInt8(Uint8Array.from([1, 2, 3, 4, 5]), calibration, { inputShape: [32, SIZE, SIZE, 1] }),
    ).rejects.toBeInstanceOf(OnnxExportError);
    const km = kmeansToOnnx({ centroids: [[0, 0]], center: [0, 0], scale: [1, 1] });
    await expect(quantizeInt8(km, [new Float32Array(4)], { inputShape: [2, 2] })).rejects.toMatchObject({
      code: 'UNSUPPORTED_CONFIG',
    });
  });
});
