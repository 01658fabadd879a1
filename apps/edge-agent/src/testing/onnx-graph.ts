import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX TensorProto data types used here. */
export const DT = { FLOAT: 1, INT64: 7 } as const;

export type Dim = number | string;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[] | string>;
}

/** A float32 initializer. */
export function floatInit(name: string, dims: number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  return { name, dataType: DT.FLOAT, dims, floatData: Array.from(values) };
}

/** An int64 initializer. */
export function int64Init(name: string, dims: number[], values: number[]): onnxProto.onnx.ITensorProto {
  return { name, dataType: DT.INT64, dims, int64Data: values };
}

function attr(name: string, v: number | number[] | string): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
}

function valueInfo(name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface GraphSpec {
  inputs: { name: string; dims: Dim[]; type?: number }[];
  outputs: { name: string; dims: Dim[]; type?: number }[];
  nodes: NodeSpec[];
  initializers: onnxProto.onnx.ITensorProto[];
  /** default 13 */
  opset?: number;
}

/** Serialises a graph to ONNX model bytes (IR 7, default opset 13). */
export function buildModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'takt-edge-testdata',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({
        name: `n${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
      })),
      initializer: spec.initializers,
      input: spec.inputs.map((i) => valueInfo(i.name, i.type ?? DT.FLOAT, i.dims)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.type ?? DT.FLOAT, o.dims)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
