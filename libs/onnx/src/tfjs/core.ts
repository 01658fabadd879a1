import { attr } from '../graph.js';
import { activationName, applyActivation } from './activation.js';
import { config, outShape, unsupportedConfig, weightsOf, type LayerConverter } from './context.js';
import { ensureChannelsLast } from './layout.js';

/** Dense: Gemm on 2-D input (bias fused), MatMul + Add on the last axis of higher-rank input, as tf does. */
const dense: LayerConverter = (ctx, layer) => {
  ensureChannelsLast(ctx);
  const [kernel, bias] = weightsOf(layer);
  const units = config<number>(layer, 'units');
  if (!kernel) unsupportedConfig(layer, 'missing kernel weights (layer not built)');
  const inUnits = kernel.length / units;
  const g = ctx.g;
  const w = g.floats(`${layer.name}_W`, [inUnits, units], kernel);
  const b = bias ? g.floats(`${layer.name}_B`, [units], bias) : undefined;
  let y: string;
  if (ctx.x.shape.length === 1) {
    y = g.op('Gemm', b ? [ctx.x.name, w, b] : [ctx.x.name, w], layer.name, { transB: attr.i(0) });
  } else {
    const mm = g.op('MatMul', [ctx.x.name, w], `${layer.name}_matmul`);
    y = b ? g.op('Add', [mm, b], layer.name) : mm;
  }
  ctx.x = { name: y, layout: 'channelsLast', shape: outShape(layer) };
  ctx.foldable = undefined;
  applyActivation(ctx, activationName(layer), layer);
};

/** Flatten in tf (channels-last) order: transpose back first, then Flatten(axis=1). */
const flatten: LayerConverter = (ctx, layer) => {
  if ((config<string | undefined>(layer, 'dataFormat') ?? 'channelsLast') !== 'channelsLast')
    unsupportedConfig(layer, 'dataFormat channelsFirst');
  ensureChannelsLast(ctx);
  if (ctx.x.shape.length > 1)
    ctx.x = { ...ctx.x, name: ctx.g.op('Flatten', [ctx.x.name], layer.name, { axis: attr.i(1) }) };
  ctx.x = { ...ctx.x, shape: outShape(layer) };
  ctx.foldable = undefined;
};

/** Reshape to tf's `targetShape` (batch kept with ONNX's 0 = copy). */
const reshape: LayerConverter = (ctx, layer) => {
  ensureChannelsLast(ctx);
  const target = config<number[]>(layer, 'targetShape');
  const shape = ctx.g.int64s(`${layer.name}_shape`, [0, ...target]);
  ctx.x = {
    name: ctx.g.op('Reshape', [ctx.x.name, shape], layer.name),
    layout: 'channelsLast',
    shape: outShape(layer),
  };
  ctx.foldable = undefined;
};

/** Identity at inference time: emits nothing. */
const passThrough: LayerConverter = () => undefined;

export const coreLayers: Record<string, LayerConverter> = {
  Dense: dense,
  Flatten: flatten,
  Reshape: reshape,
  Dropout: passThrough,
  SpatialDropout1D: passThrough,
  GaussianNoise: passThrough,
  GaussianDropout: passThrough,
  AlphaDropout: passThrough,
  InputLayer: passThrough,
};
