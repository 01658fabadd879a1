import type { LayersModel } from '@tensorflow/tfjs';
import { OnnxExportError } from '../errors.js';
import { GraphBuilder } from '../graph.js';
import { DataType } from '../proto.js';
import { activationLayers } from './activation.js';
import type { ExportContext, LayerConverter, LayerLike } from './context.js';
import { convLayers } from './conv.js';
import { coreLayers } from './core.js';
import { ensureChannelsLast } from './layout.js';

export interface TfjsExportOptions {
  /** graph input name; default `input` */
  inputName?: string;
  /** graph output name; default `output` */
  outputName?: string;
  /** ONNX opset; default 13 (the lowest with per-axis QuantizeLinear, which `quantizeInt8` needs) */
  opset?: number;
}

export const DEFAULT_OPSET = 13;

const converters: Record<string, LayerConverter> = { ...convLayers, ...coreLayers, ...activationLayers };

/** Layer class names `tfjsToOnnx` converts. */
export const SUPPORTED_LAYERS: readonly string[] = Object.keys(converters).sort();

/** Layers in order, checking the model is one linear stack (one input, one output, no branches). */
function linearLayers(model: LayersModel): LayerLike[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new OnnxExportError(
      'UNSUPPORTED_CONFIG',
      `model ${model.name}: ${model.inputs.length} inputs / ${model.outputs.length} outputs; only one of each is supported`,
    );
  }
  const layers = model.layers;
  layers.forEach((layer, i) => {
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers);
    const prev = layers[i - 1];
    const chained = prev === undefined ? inbound.length <= 1 : inbound.length === 1 && inbound[0] === prev;
    if (!chained)
      throw new OnnxExportError(
        'UNSUPPORTED_CONFIG',
        `layer ${layer.name} (${layer.getClassName()}): only linear stacks of layers are supported`,
      );
  });
  return layers as unknown as LayerLike[];
}

/**
 * Exports a tfjs LayersModel (a linear stack; see `SUPPORTED_LAYERS`) as an ONNX model. The input
 * stays in tf layout (NWC / NHWC, same shape as `model.inputs[0]`, batch symbolic `N`); the graph
 * transposes to NCHW for Conv/Pool and back before Flatten/Reshape/Dense and at the output, so
 * outputs equal tfjs's. BatchNormalization folds into the Conv before it; Dropout disappears.
 * Throws `OnnxExportError('UNSUPPORTED_LAYER')` naming any layer it cannot convert — checked for
 * all layers before anything is built.
 */
export function tfjsToOnnx(model: LayersModel, opts: TfjsExportOptions = {}): Uint8Array {
  const layers = linearLayers(model);
  const unsupported = layers.filter((l) => !Object.hasOwn(converters, l.getClassName()));
  if (unsupported.length > 0) {
    const names = unsupported.map((l) => `${l.name} (${l.getClassName()})`).join(', ');
    throw new OnnxExportError(
      'UNSUPPORTED_LAYER',
      `cannot export to ONNX: unsupported layer ${names}; supported: ${SUPPORTED_LAYERS.join(', ')}`,
    );
  }
  const inShape = (model.inputs[0]?.shape ?? []).slice(1);
  const g = new GraphBuilder(model.name.replace(/[^A-Za-z0-9_]/g, '_'));
  const input = g.input(opts.inputName ?? 'input', DataType.FLOAT, ['N', ...inShape.map((d, i) => d ?? `d${i + 1}`)]);
  const ctx: ExportContext = { g, x: { name: input, layout: 'channelsLast', shape: inShape } };
  for (const layer of layers) (converters[layer.getClassName()] as LayerConverter)(ctx, layer);
  ensureChannelsLast(ctx);
  const outputName = opts.outputName ?? 'output';
  g.node('Identity', [ctx.x.name], [outputName]);
  g.output(outputName, DataType.FLOAT, ['N', ...ctx.x.shape.map((d, i) => d ?? `o${i + 1}`)]);
  return g.build({ opset: opts.opset ?? DEFAULT_OPSET, docString: `exported from tfjs model ${model.name}` });
}
