import { OnnxExportError } from '../errors.js';
import { attr } from '../graph.js';
import { config, outShape, type ExportContext, type LayerConverter, type LayerLike } from './context.js';
import { onnxAxis } from './layout.js';

/** Emits a tf activation by name on the running tensor (`linear` emits nothing). */
export function applyActivation(ctx: ExportContext, name: string, layer: LayerLike, axis = -1): void {
  const g = ctx.g;
  const x = ctx.x.name;
  let out: string;
  switch (name) {
    case 'linear':
      return;
    case 'relu':
      out = g.op('Relu', [x], 'relu');
      break;
    case 'relu6':
      out = g.op('Clip', [x, g.floats('zero', [], [0]), g.floats('six', [], [6])], 'relu6');
      break;
    case 'sigmoid':
      out = g.op('Sigmoid', [x], 'sigmoid');
      break;
    case 'tanh':
      out = g.op('Tanh', [x], 'tanh');
      break;
    case 'elu':
      out = g.op('Elu', [x], 'elu', { alpha: attr.f(1) });
      break;
    case 'softplus':
      out = g.op('Softplus', [x], 'softplus');
      break;
    case 'softmax':
      out = g.op('Softmax', [x], 'softmax', { axis: attr.i(onnxAxis(ctx, axis)) });
      break;
    default:
      throw new OnnxExportError(
        'UNSUPPORTED_LAYER',
        `layer ${layer.name} (${layer.getClassName()}): activation ${JSON.stringify(name)} is not supported`,
      );
  }
  ctx.x = { ...ctx.x, name: out };
  ctx.foldable = undefined;
}

/** The `activation` config of a layer, as a name. */
export function activationName(layer: LayerLike): string {
  const a = config<unknown>(layer, 'activation');
  if (a === undefined || a === null) return 'linear';
  if (typeof a === 'string') return a;
  throw new OnnxExportError(
    'UNSUPPORTED_LAYER',
    `layer ${layer.name}: activation ${JSON.stringify(a)} is not supported`,
  );
}

export const activationLayers: Record<string, LayerConverter> = {
  Activation: (ctx, layer) => applyActivation(ctx, activationName(layer), layer),
  ReLU: (ctx, layer) => {
    const max = config<number | null | undefined>(layer, 'maxValue');
    if (max === null || max === undefined) return applyActivation(ctx, 'relu', layer);
    const out = ctx.g.op(
      'Clip',
      [ctx.x.name, ctx.g.floats('zero', [], [0]), ctx.g.floats('max', [], [max])],
      'relu_max',
    );
    ctx.x = { ...ctx.x, name: out };
    ctx.foldable = undefined;
  },
  LeakyReLU: (ctx, layer) => {
    const alpha = config<number | undefined>(layer, 'alpha') ?? 0.3;
    ctx.x = { ...ctx.x, name: ctx.g.op('LeakyRelu', [ctx.x.name], 'leaky_relu', { alpha: attr.f(alpha) }) };
    ctx.foldable = undefined;
  },
  // tfjs's Softmax layer defaults to axis 1 (not −1)
  Softmax: (ctx, layer) => applyActivation(ctx, 'softmax', layer, config<number | undefined>(layer, 'axis') ?? 1),
};

/** Keeps shape bookkeeping after a layer that does not change shape. */
export function keepShape(ctx: ExportContext, layer: LayerLike): void {
  ctx.x = { ...ctx.x, shape: outShape(layer) };
}
