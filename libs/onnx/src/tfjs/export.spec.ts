import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { parityDiff, randomizeBatchNorm, useCpuBackend } from '../testing/tf.js';
import { tfjsToOnnx } from './export.js';

beforeAll(async () => {
  await useCpuBackend();
});

const TOL = 1e-4;
type Make = () => tf.layers.Layer[];

/** A Sequential of the given layers after an input of `inputShape`. */
function seq(inputShape: number[], make: Make): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape }));
  for (const l of make()) model.add(l);
  randomizeBatchNorm(model, 7);
  return model;
}

const L = tf.layers;
const oneLayer: [string, number[], Make][] = [
  ['Conv1D valid k3', [12, 3], () => [L.conv1d({ filters: 4, kernelSize: 3 })]],
  [
    'Conv1D same k4 stride 2 (asymmetric pad)',
    [11, 2],
    () => [L.conv1d({ filters: 5, kernelSize: 4, strides: 2, padding: 'same' })],
  ],
  [
    'Conv1D same dilation 2 relu',
    [10, 2],
    () => [L.conv1d({ filters: 3, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu' })],
  ],
  ['Conv2D valid k3', [8, 9, 2], () => [L.conv2d({ filters: 4, kernelSize: 3 })]],
  [
    'Conv2D same k3 stride 2 on 7×7',
    [7, 7, 1],
    () => [L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' })],
  ],
  ['Conv2D same even kernel k4', [6, 5, 2], () => [L.conv2d({ filters: 3, kernelSize: 4, padding: 'same' })]],
  [
    'Conv2D same strides [2,1] dilation',
    [9, 8, 2],
    () => [L.conv2d({ filters: 2, kernelSize: [3, 2], strides: [2, 1], padding: 'same' })],
  ],
  [
    'Conv2D dilation 2 valid, no bias, sigmoid',
    [9, 9, 2],
    () => [L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, useBias: false, activation: 'sigmoid' })],
  ],
  ['Dense on features', [6], () => [L.dense({ units: 4 })]],
  ['Dense on rank-3 input (last axis)', [5, 4], () => [L.dense({ units: 3, activation: 'tanh' })]],
  ['Dense softmax', [6], () => [L.dense({ units: 5, activation: 'softmax' })]],
  ['MaxPooling1D valid', [10, 3], () => [L.maxPooling1d({ poolSize: 2 })]],
  ['MaxPooling1D same pool 3 stride 2', [11, 2], () => [L.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' })]],
  ['MaxPooling2D valid', [8, 6, 2], () => [L.maxPooling2d({ poolSize: 2 })]],
  [
    'MaxPooling2D same pool 3 stride 2',
    [7, 8, 2],
    () => [L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  ],
  ['AveragePooling1D valid', [9, 2], () => [L.averagePooling1d({ poolSize: 3 })]],
  [
    'AveragePooling1D same (pads excluded from the mean)',
    [9, 2],
    () => [L.averagePooling1d({ poolSize: 2, strides: 2, padding: 'same' })],
  ],
  ['AveragePooling2D valid', [6, 6, 3], () => [L.averagePooling2d({ poolSize: 2 })]],
  [
    'AveragePooling2D same pool 3 stride 2',
    [7, 5, 2],
    () => [L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  ],
  ['GlobalAveragePooling1D', [7, 4], () => [L.globalAveragePooling1d()]],
  ['GlobalAveragePooling2D', [5, 6, 3], () => [L.globalAveragePooling2d({})]],
  ['GlobalMaxPooling2D', [5, 6, 3], () => [L.globalMaxPooling2d({})]],
  ['BatchNormalization alone (channels-last Mul/Add)', [5, 4, 3], () => [L.batchNormalization()]],
  ['BatchNormalization on features', [6], () => [L.batchNormalization()]],
  [
    'BatchNormalization folded into Conv2D',
    [6, 6, 2],
    () => [L.conv2d({ filters: 3, kernelSize: 3 }), L.batchNormalization()],
  ],
  [
    'BatchNormalization folded into Conv1D without bias',
    [8, 2],
    () => [L.conv1d({ filters: 3, kernelSize: 3, useBias: false }), L.batchNormalization()],
  ],
  [
    'BatchNormalization after Conv2D relu (not foldable)',
    [6, 6, 2],
    () => [L.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }), L.batchNormalization()],
  ],
  ['Dropout (removed)', [6], () => [L.dropout({ rate: 0.5 })]],
  [
    'Flatten after Conv2D (tf channels-last order)',
    [5, 4, 2],
    () => [L.conv2d({ filters: 3, kernelSize: 2 }), L.flatten()],
  ],
  ['Reshape after Conv1D', [6, 2], () => [L.conv1d({ filters: 4, kernelSize: 3 }), L.reshape({ targetShape: [2, 8] })]],
  ['ReLU layer', [7], () => [L.reLU()]],
  ['ReLU layer with maxValue', [7], () => [L.reLU({ maxValue: 0.5 })]],
  ['LeakyReLU', [4, 3], () => [L.leakyReLU({ alpha: 0.2 })]],
  ['Activation sigmoid', [7], () => [L.activation({ activation: 'sigmoid' })]],
  [
    'Softmax layer on a conv map (channel axis)',
    [4, 4, 3],
    () => [L.conv2d({ filters: 3, kernelSize: 1 }), L.softmax({ axis: -1 })],
  ],
  ['Softmax layer, default axis', [5], () => [L.softmax()]],
];

describe('tfjsToOnnx parity with tfjs (max abs diff ≤ 1e-4)', () => {
  it.each(oneLayer)('%s', async (_name, inputShape, make) => {
    expect(await parityDiff(seq(inputShape, make), { seed: inputShape.length })).toBeLessThanOrEqual(TOL);
  });

  it('a full 1-D CNN (conv, BN, pool, dropout, dense, softmax)', async () => {
    const model = seq([64, 3], () => [
      L.conv1d({ filters: 8, kernelSize: 5, padding: 'same' }),
      L.batchNormalization(),
      L.reLU(),
      L.maxPooling1d({ poolSize: 2 }),
      L.conv1d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu' }),
      L.batchNormalization(),
      L.dropout({ rate: 0.3 }),
      L.averagePooling1d({ poolSize: 2, padding: 'same' }),
      L.flatten(),
      L.dense({ units: 16, activation: 'relu' }),
      L.dense({ units: 4, activation: 'softmax' }),
    ]);
    expect(await parityDiff(model, { batch: 5, seed: 11 })).toBeLessThanOrEqual(TOL);
  });

  it('a full 2-D CNN (conv same/valid, BN, pools, flatten order, dense)', async () => {
    const model = seq([20, 20, 1], () => [
      L.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }),
      L.batchNormalization(),
      L.leakyReLU({ alpha: 0.1 }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.averagePooling2d({ poolSize: 2 }),
      L.dropout({ rate: 0.2 }),
      L.flatten(),
      L.dense({ units: 10, activation: 'relu' }),
      L.dense({ units: 5, activation: 'softmax' }),
    ]);
    expect(await parityDiff(model, { batch: 4, seed: 12 })).toBeLessThanOrEqual(TOL);
  });

  it('a 2-D CNN ending in global average pooling', async () => {
    const model = seq([16, 16, 2], () => [
      L.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }),
      L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' }),
      L.batchNormalization(),
      L.activation({ activation: 'relu' }),
      L.globalAveragePooling2d({}),
      L.dense({ units: 3, activation: 'sigmoid' }),
    ]);
    expect(await parityDiff(model, { batch: 4, seed: 13 })).toBeLessThanOrEqual(TOL);
  });
});

describe('tfjsToOnnx refusals', () => {
  it('BAD INPUT - unsupported layers → UNSUPPORTED_LAYER naming each of them', () => {
    const model = seq([8, 8, 1], () => [
      L.conv2d({ filters: 2, kernelSize: 3, name: 'c1' }),
      L.upSampling2d({ size: [2, 2], name: 'up1' }),
      L.flatten(),
      L.dense({ units: 2 }),
      L.layerNormalization({ name: 'ln1' }),
    ]);
    expect(() => tfjsToOnnx(model)).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_LAYER',
        message: expect.stringMatching(/up1 \(UpSampling2D\).*ln1 \(LayerNormalization\)/),
      }),
    );
  });

  it('BAD INPUT - unsupported activation → UNSUPPORTED_LAYER naming it', () => {
    const model = seq([4], () => [L.dense({ units: 2, activation: 'selu', name: 'd_selu' })]);
    expect(() => tfjsToOnnx(model)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_LAYER', message: expect.stringContaining('"selu"') }),
    );
  });

  it('BAD INPUT - branching functional model → UNSUPPORTED_CONFIG', () => {
    const input = tf.input({ shape: [4] });
    const a = L.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
    const b = L.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: L.add().apply([a, b]) as tf.SymbolicTensor });
    expect(() => tfjsToOnnx(model)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CONFIG' }));
  });

  it('BAD INPUT - causal padding → UNSUPPORTED_CONFIG', () => {
    const model = seq([8, 2], () => [L.conv1d({ filters: 2, kernelSize: 3, padding: 'causal', name: 'causal1' })]);
    expect(() => tfjsToOnnx(model)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CONFIG', message: expect.stringContaining('causal1') }),
    );
  });

  it('BAD INPUT - channelsFirst conv → UNSUPPORTED_CONFIG', () => {
    const model = seq([2, 6, 6], () => [
      L.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'cf' }),
    ]);
    expect(() => tfjsToOnnx(model)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CONFIG', message: expect.stringContaining('cf') }),
    );
  });
});
