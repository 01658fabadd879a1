import type { GraphIndex, ModelProto, NodeProto } from './model-io.js';
import { attrInt, dimsOf } from './model-io.js';

/** Ops with int8 weights: DQ(x), DQ(w), DQ(b) → op → Q becomes QLinearConv / QGemm / QLinearMatMul. */
const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);
/** Ops that run on uint8 directly when input and output share quantization parameters. */
const PASS_THROUGH = new Set(['MaxPool', 'Transpose', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);
/** Ops with their own QLinear kernel and output parameters. */
const QLINEAR = new Set(['AveragePool', 'GlobalAveragePool', 'LeakyRelu', 'Sigmoid']);

/** A weighted node and how its weights are quantized. */
export interface WeightedNode {
  /** axis of the weight tensor that indexes output channels */
  axis: number;
}

export interface QuantizationPlan {
  /** activation tensors that get QuantizeLinear/DequantizeLinear, in graph order */
  tensors: string[];
  /** tensors whose parameters are copied from another tensor (pass-through ops) */
  sharedWith: Map<string, string>;
  /** node index → weight axis, for weighted nodes that get int8 weights */
  weighted: Map<number, WeightedNode>;
  /** ReLU node index → index of the weighted node whose quantized output absorbs it */
  fusedRelu: Map<number, number>;
}

/** Output-channel axis of a weighted node's constant weight, and its dot-product length; undefined when not quantizable. */
export function weightAxis(node: NodeProto, idx: GraphIndex): { axis: number; reduction: number } | undefined {
  const w = idx.initializers.get(node.input?.[1] ?? '');
  if (!w) return undefined;
  const dims = dimsOf(w);
  if (node.opType === 'Conv') {
    return dims.length >= 3 && attrInt(node, 'group', 1) === 1
      ? { axis: 0, reduction: dims.slice(1).reduce((a, b) => a * b, 1) }
      : undefined;
  }
  if (dims.length !== 2) return undefined;
  const transB = node.opType === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  if (node.opType === 'Gemm' && attrInt(node, 'transA', 0) !== 0) return undefined;
  // Gemm/MatMul B [K, N]: one scale per output column (axis 1); transposed B [N, K]: axis 0
  return transB ? { axis: 0, reduction: dims[1] as number } : { axis: 1, reduction: dims[0] as number };
}

/** Decides which tensors and weights get quantized, following the QDQ patterns onnxruntime fuses. */
export function planQuantization(model: ModelProto, idx: GraphIndex, minReduction: number): QuantizationPlan {
  const nodes = model.graph?.node ?? [];
  const quantized = new Set<string>();
  const add = (t: string | undefined) => t && quantized.add(t);
  const weighted = new Map<number, WeightedNode>();
  const fusedRelu = new Map<number, number>();
  const passThrough: [string, string][] = [];
  nodes.forEach((node, i) => {
    const op = node.opType ?? '';
    const x = node.input?.[0];
    let y = node.output?.[0];
    if (PASS_THROUGH.has(op)) {
      if (x && y) passThrough.push([x, y]);
      return;
    }
    if (WEIGHTED.has(op)) {
      const w = weightAxis(node, idx);
      if (w === undefined || w.reduction < minReduction) return;
      weighted.set(i, { axis: w.axis });
      const users = idx.consumers.get(y ?? '') ?? [];
      const relu =
        users.length === 1 && nodes[users[0] as number]?.opType === 'Relu' ? (users[0] as number) : undefined;
      if (relu !== undefined && !idx.graphOutputs.has(y ?? '')) {
        fusedRelu.set(relu, i);
        y = nodes[relu]?.output?.[0];
      }
    } else if (!QLINEAR.has(op)) {
      return;
    }
    add(x);
    add(y);
  });
  // A pass-through op runs on uint8 after a quantized tensor: spread quantization forward through
  // it, sharing one set of parameters. Never backward: a float island (e.g. a first conv kept fp32,
  // with its pool) stays free of Q/DQ — onnxruntime would otherwise re-quantize its weights itself
  // or run the pool as a slow generic uint8 kernel.
  const sharedWith = new Map<string, string>();
  for (const [x, y] of passThrough) {
    if (!quantized.has(x)) continue;
    quantized.add(y);
    sharedWith.set(y, x);
  }
  return { tensors: [...quantized], sharedWith, weighted, fusedRelu };
}
