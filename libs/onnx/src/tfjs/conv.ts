import { attr, type Attr } from '../graph.js';
import { DataType } from '../proto.js';
import { activationName, applyActivation } from './activation.js';
import {
  config,
  outShape,
  tuple,
  unsupportedConfig,
  weightsOf,
  type LayerConverter,
  type LayerLike,
} from './context.js';
import { ensureChannelsFirst } from './layout.js';

/**
 * ONNX padding attributes for tf padding. TF `same` pads (total) = max((ceil(in/s) − 1)·s + (k−1)·d + 1 − in, 0)
 * with the odd pixel at the END, so explicit pads are written whenever the input size is known
 * (SAME_UPPER, which matches, otherwise). `causal` is refused (tfjs cannot run it either).
 */
export function paddingAttrs(
  layer: LayerLike,
  inSpatial: (number | null)[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): Record<string, Attr> {
  const padding = config<string>(layer, 'padding') ?? 'valid';
  const rank = kernel.length;
  if (padding === 'valid') return { pads: attr.ints(Array<number>(rank * 2).fill(0)) };
  if (padding !== 'same') unsupportedConfig(layer, `padding ${JSON.stringify(padding)}`);
  if (inSpatial.some((d) => d === null)) return { auto_pad: attr.s('SAME_UPPER') };
  const begin: number[] = [];
  const end: number[] = [];
  inSpatial.forEach((size, i) => {
    const n = size as number;
    const s = strides[i] as number;
    const effK = ((kernel[i] as number) - 1) * (dilations[i] as number) + 1;
    const total = Math.max((Math.ceil(n / s) - 1) * s + effK - n, 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  });
  return { pads: attr.ints([...begin, ...end]) };
}

/** tf kernel [...k, in, out] → ONNX [out, in, ...k]. */
export function kernelToOnnx(tfKernel: Float32Array, kernel: number[], inC: number, outC: number): Float32Array {
  const kSize = kernel.reduce((a, b) => a * b, 1);
  const out = new Float32Array(tfKernel.length);
  for (let p = 0; p < kSize; p++) {
    for (let i = 0; i < inC; i++) {
      for (let o = 0; o < outC; o++) out[(o * inC + i) * kSize + p] = tfKernel[(p * inC + i) * outC + o] as number;
    }
  }
  return out;
}

function convLayer(spatialRank: number): LayerConverter {
  return (ctx, layer) => {
    if ((config<string | undefined>(layer, 'dataFormat') ?? 'channelsLast') !== 'channelsLast')
      unsupportedConfig(layer, 'dataFormat channelsFirst');
    const kernel = tuple(layer, 'kernelSize', spatialRank);
    const strides = tuple(layer, 'strides', spatialRank, Array<number>(spatialRank).fill(1));
    const dilations = tuple(layer, 'dilationRate', spatialRank, Array<number>(spatialRank).fill(1));
    const inShape = ctx.x.shape;
    const inC = inShape[inShape.length - 1] as number;
    const outC = config<number>(layer, 'filters');
    const [tfKernel, tfBias] = weightsOf(layer);
    if (!tfKernel) unsupportedConfig(layer, 'missing kernel weights (layer not built)');
    const pads = paddingAttrs(layer, inShape.slice(0, -1), kernel, strides, dilations);
    ensureChannelsFirst(ctx);
    const g = ctx.g;
    const weights = kernelToOnnx(tfKernel, kernel, inC, outC);
    const bias = tfBias ?? new Float32Array(outC);
    const weightName = g.floats(`${layer.name}_W`, [outC, inC, ...kernel], weights);
    const biasName = g.floats(`${layer.name}_B`, [outC], bias);
    const y = g.op('Conv', [ctx.x.name, weightName, biasName], layer.name, {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(strides),
      dilations: attr.ints(dilations),
      group: attr.i(1),
      ...pads,
    });
    ctx.x = { name: y, layout: 'channelsFirst', shape: outShape(layer) };
    const act = activationName(layer);
    ctx.foldable = act === 'linear' ? { weightName, biasName, weights, bias, outChannels: outC } : undefined;
    applyActivation(ctx, act, layer);
  };
}

function poolLayer(op: 'MaxPool' | 'AveragePool', spatialRank: number): LayerConverter {
  return (ctx, layer) => {
    if ((config<string | undefined>(layer, 'dataFormat') ?? 'channelsLast') !== 'channelsLast')
      unsupportedConfig(layer, 'dataFormat channelsFirst');
    const kernel = tuple(layer, 'poolSize', spatialRank);
    const strides = tuple(layer, 'strides', spatialRank, kernel);
    const ones = Array<number>(spatialRank).fill(1);
    const pads = paddingAttrs(layer, ctx.x.shape.slice(0, -1), kernel, strides, ones);
    ensureChannelsFirst(ctx);
    // tf's `same` average pooling divides by the count of real (unpadded) inputs: count_include_pad = 0
    const extra: Record<string, Attr> = op === 'AveragePool' ? { count_include_pad: attr.i(0) } : {};
    const y = ctx.g.op(op, [ctx.x.name], layer.name, {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(strides),
      ...pads,
      ...extra,
    });
    ctx.x = { name: y, layout: 'channelsFirst', shape: outShape(layer) };
    ctx.foldable = undefined;
  };
}

function globalPoolLayer(op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter {
  return (ctx, layer) => {
    if (config<boolean | undefined>(layer, 'keepDims')) unsupportedConfig(layer, 'keepDims');
    ensureChannelsFirst(ctx);
    const pooled = ctx.g.op(op, [ctx.x.name], layer.name); // [N, C, 1, …]
    ctx.x = {
      name: ctx.g.op('Flatten', [pooled], `${layer.name}_flat`, { axis: attr.i(1) }),
      layout: 'channelsLast',
      shape: outShape(layer),
    };
    ctx.foldable = undefined;
  };
}

/** BatchNormalization: folded into the Conv right before it when it has a linear activation, else y = x·a + b. */
export const batchNormalization: LayerConverter = (ctx, layer) => {
  const axis = config<number | number[]>(layer, 'axis') ?? -1;
  const rank = ctx.x.shape.length + 1;
  const a = Array.isArray(axis) ? axis : [axis];
  if (a.length !== 1 || ((a[0] as number) + rank) % rank !== rank - 1)
    unsupportedConfig(layer, `axis ${JSON.stringify(axis)} (only the channel axis)`);
  const w = weightsOf(layer);
  const scale = config<boolean>(layer, 'scale') !== false;
  const center = config<boolean>(layer, 'center') !== false;
  const gamma = scale ? (w.shift() as Float32Array) : undefined;
  const beta = center ? (w.shift() as Float32Array) : undefined;
  const [mean, variance] = w as [Float32Array, Float32Array];
  const eps = config<number | undefined>(layer, 'epsilon') ?? 1e-3;
  const c = mean.length;
  const mul = new Float32Array(c);
  const add = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    // computed in float64, rounded once
    mul[i] = (gamma?.[i] ?? 1) / Math.sqrt((variance[i] as number) + eps);
    add[i] = (beta?.[i] ?? 0) - (mean[i] as number) * (mul[i] as number);
  }
  const fold = ctx.foldable;
  if (fold && fold.outChannels === c) {
    const per = fold.weights.length / c;
    for (let o = 0; o < c; o++) {
      for (let j = 0; j < per; j++)
        fold.weights[o * per + j] = (fold.weights[o * per + j] as number) * (mul[o] as number);
      fold.bias[o] = (fold.bias[o] as number) * (mul[o] as number) + (add[o] as number);
    }
    ctx.g.replaceConstant(fold.weightName, { type: DataType.FLOAT, values: fold.weights });
    ctx.g.replaceConstant(fold.biasName, { type: DataType.FLOAT, values: fold.bias });
    ctx.foldable = undefined; // one BN per conv
    return;
  }
  const dims = rank >= 3 && ctx.x.layout === 'channelsFirst' ? [c, ...Array<number>(rank - 2).fill(1)] : [c];
  const scaled = ctx.g.op('Mul', [ctx.x.name, ctx.g.floats(`${layer.name}_scale`, dims, mul)], `${layer.name}_mul`);
  ctx.x = { ...ctx.x, name: ctx.g.op('Add', [scaled, ctx.g.floats(`${layer.name}_shift`, dims, add)], layer.name) };
  ctx.foldable = undefined;
};

export const convLayers: Record<string, LayerConverter> = {
  Conv1D: convLayer(1),
  Conv2D: convLayer(2),
  MaxPooling1D: poolLayer('MaxPool', 1),
  MaxPooling2D: poolLayer('MaxPool', 2),
  AveragePooling1D: poolLayer('AveragePool', 1),
  AveragePooling2D: poolLayer('AveragePool', 2),
  GlobalAveragePooling1D: globalPoolLayer('GlobalAveragePool'),
  GlobalAveragePooling2D: globalPoolLayer('GlobalAveragePool'),
  GlobalMaxPooling1D: globalPoolLayer('GlobalMaxPool'),
  GlobalMaxPooling2D: globalPoolLayer('GlobalMaxPool'),
  BatchNormalization: batchNormalization,
};
