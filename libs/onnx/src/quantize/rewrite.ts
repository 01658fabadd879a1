import { attr, tensorProto, toAttributeProto, type TensorData } from '../graph.js';
import { DataType } from '../proto.js';
import type { Range } from './calibrate.js';
import { dimsOf, floatsOf, type GraphIndex, type ModelProto, type NodeProto, type TensorProto } from './model-io.js';
import { activationParams, quantizeBias, quantizeWeightsPerChannel, type ActivationParams } from './params.js';
import type { QuantizationPlan } from './plan.js';

/** Emits nodes and constants for the QDQ graph. */
class QdqWriter {
  readonly nodes: NodeProto[] = [];
  readonly constants: TensorProto[] = [];
  readonly #names: Set<string>;

  constructor(model: ModelProto) {
    const g = model.graph;
    this.#names = new Set([
      ...(g?.node ?? []).flatMap((n) => [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']),
      ...(g?.initializer ?? []).map((t) => t.name ?? ''),
    ]);
  }

  name(base: string): string {
    let n = base;
    for (let i = 1; this.#names.has(n); i++) n = `${base}_${i}`;
    this.#names.add(n);
    return n;
  }

  constant(base: string, t: TensorData, dims: number[]): string {
    const n = this.name(base);
    this.constants.push(tensorProto(n, dims, t));
    return n;
  }

  node(op: string, input: string[], output: string[], axis?: number): void {
    this.nodes.push({
      opType: op,
      name: this.name(`${output[0]}_${op}`),
      input,
      output,
      attribute: axis === undefined ? [] : [toAttributeProto('axis', attr.i(axis))],
    });
  }

  /** QuantizeLinear(src) → DequantizeLinear → dst, with uint8 per-tensor parameters. */
  qdq(src: string, dst: string, p: ActivationParams): void {
    const scale = this.constant(`${dst}_scale`, { type: DataType.FLOAT, values: Float32Array.of(p.scale) }, []);
    const zp = this.constant(`${dst}_zero_point`, { type: DataType.UINT8, values: Uint8Array.of(p.zeroPoint) }, []);
    const q = this.name(`${dst}_quantized`);
    this.node('QuantizeLinear', [src, scale, zp], [q]);
    this.node('DequantizeLinear', [q, scale, zp], [dst]);
  }
}

/** Per-tensor parameters, following pass-through ops back to the tensor that owns them. */
function paramsResolver(plan: QuantizationPlan, ranges: Map<string, Range>): (t: string) => ActivationParams {
  const cache = new Map<string, ActivationParams>();
  const resolve = (t: string): ActivationParams => {
    const shared = plan.sharedWith.get(t);
    const p = cache.get(t) ?? (shared ? resolve(shared) : activationParams(ranges.get(t) as Range));
    cache.set(t, p);
    return p;
  };
  return resolve;
}

/** int8 weights (+ int32 bias) of a weighted node, each behind a DequantizeLinear with `axis`. */
function quantizeWeights(w: QdqWriter, node: NodeProto, idx: GraphIndex, axis: number, inputScale: number): string[] {
  const inputs = [...(node.input ?? [])];
  const weight = idx.initializers.get(inputs[1] as string) as TensorProto;
  const dims = dimsOf(weight);
  const { q, scales } = quantizeWeightsPerChannel(floatsOf(weight), dims, axis);
  const channels = dims[axis] as number;
  const wq = w.constant(`${weight.name}_int8`, { type: DataType.INT8, values: q }, dims);
  const ws = w.constant(`${weight.name}_scale`, { type: DataType.FLOAT, values: scales }, [channels]);
  const wz = w.constant(`${weight.name}_zero_point`, { type: DataType.INT8, values: new Int8Array(channels) }, [
    channels,
  ]);
  inputs[1] = w.name(`${weight.name}_dequantized`);
  w.node('DequantizeLinear', [wq, ws, wz], [inputs[1]], axis);
  const bias = inputs[2] ? idx.initializers.get(inputs[2]) : undefined;
  if (bias) {
    const b = quantizeBias(floatsOf(bias), inputScale, scales);
    const bq = w.constant(`${bias.name}_int32`, { type: DataType.INT32, values: b.q }, [channels]);
    const bs = w.constant(`${bias.name}_scale`, { type: DataType.FLOAT, values: b.scales }, [channels]);
    const bz = w.constant(`${bias.name}_zero_point`, { type: DataType.INT32, values: new Int32Array(channels) }, [
      channels,
    ]);
    inputs[2] = w.name(`${bias.name}_dequantized`);
    w.node('DequantizeLinear', [bq, bs, bz], [inputs[2]], 0);
  }
  return inputs;
}

/**
 * Rewrites the graph in QDQ form: every planned activation tensor T becomes
 * producer → T_float → QuantizeLinear → DequantizeLinear → T (consumers unchanged), weights become
 * int8 initializers behind DequantizeLinear, and ReLUs after weighted ops fold into their output
 * quantization (zero point 0 clamps negatives, exactly as onnxruntime's own quantizer does).
 */
export function rewriteQdq(
  model: ModelProto,
  idx: GraphIndex,
  plan: QuantizationPlan,
  ranges: Map<string, Range>,
): void {
  const graph = model.graph as NonNullable<ModelProto['graph']>;
  const w = new QdqWriter(model);
  const params = paramsResolver(plan, ranges);
  const quantized = new Set(plan.tensors);
  const rename = new Map<string, string>();
  for (const input of idx.graphInputs) {
    if (!quantized.has(input)) continue;
    rename.set(input, w.name(`${input}_dequantized`));
    w.qdq(input, rename.get(input) as string, params(input));
  }
  const fusedOutput = new Map(
    [...plan.fusedRelu].map(([relu, producer]) => [producer, graph.node?.[relu]?.output?.[0] as string]),
  );
  (graph.node ?? []).forEach((original, i) => {
    if (plan.fusedRelu.has(i)) return;
    const node = {
      ...original,
      input: (original.input ?? []).map((t) => rename.get(t) ?? t),
      output: [...(original.output ?? [])],
    };
    const weighted = plan.weighted.get(i);
    if (weighted)
      node.input = quantizeWeights(w, node, idx, weighted.axis, params(original.input?.[0] as string).scale);
    const fused = fusedOutput.get(i);
    if (fused) node.output[0] = fused;
    const after: [string, string][] = [];
    node.output = node.output.map((t) => {
      if (!quantized.has(t)) return t;
      const float = w.name(`${t}_float`);
      after.push([float, t]);
      return float;
    });
    w.nodes.push(node);
    for (const [float, t] of after) w.qdq(float, t, params(t));
  });
  const replaced = new Set(w.nodes.flatMap((n) => n.input ?? []));
  graph.node = w.nodes;
  graph.initializer = [...(graph.initializer ?? []).filter((t) => replaced.has(t.name ?? '')), ...w.constants];
}
