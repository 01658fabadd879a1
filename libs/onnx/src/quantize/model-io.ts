import { OnnxExportError } from '../errors.js';
import { DataType, onnx, type OnnxTypes } from '../proto.js';

export type ModelProto = OnnxTypes.ModelProto;
export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;

/** Decodes ONNX bytes; `INVALID_MODEL` when they are not a model with a graph. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxExportError('INVALID_MODEL', `not an ONNX model: ${(err as Error).message}`, { cause: err });
  }
  if (!model.graph || (model.graph.node ?? []).length === 0)
    throw new OnnxExportError('INVALID_MODEL', 'ONNX model has no graph nodes');
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** The float32 contents of an initializer (raw little-endian or `floatData`). */
export function floatsOf(t: TensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new OnnxExportError('INVALID_MODEL', `initializer ${t.name} is not float32`);
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData); // a fresh, aligned copy (decoded rawData may be a Buffer view at any offset)
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map(Number);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? Number(a.i) : fallback;
}

/** Who produces and who consumes each tensor. */
export interface GraphIndex {
  producer: Map<string, number>;
  consumers: Map<string, number[]>;
  initializers: Map<string, TensorProto>;
  graphOutputs: Set<string>;
  graphInputs: Set<string>;
}

export function indexGraph(model: ModelProto): GraphIndex {
  const graph = model.graph as OnnxTypes.IGraphProto;
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  (graph.node ?? []).forEach((n, i) => {
    for (const o of n.output ?? []) producer.set(o, i);
    for (const input of n.input ?? []) consumers.set(input, [...(consumers.get(input) ?? []), i]);
  });
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name as string, t]));
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name as string));
  const graphInputs = new Set((graph.input ?? []).map((o) => o.name as string).filter((n) => !initializers.has(n)));
  return { producer, consumers, initializers, graphOutputs, graphInputs };
}
