import { DataType, type DataTypeCode, IR_VERSION, onnx, type OnnxTypes } from './proto.js';

/** One node attribute, typed the way ONNX stores it. */
export type Attr = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };

export const attr = {
  i: (v: number): Attr => ({ i: v }),
  f: (v: number): Attr => ({ f: v }),
  ints: (v: number[]): Attr => ({ ints: v }),
  floats: (v: number[]): Attr => ({ floats: v }),
  s: (v: string): Attr => ({ s: v }),
};

/** Tensor contents by element type; int64 values are given as numbers. */
export type TensorData =
  | { type: typeof DataType.FLOAT; values: Float32Array }
  | { type: typeof DataType.INT64; values: number[] }
  | { type: typeof DataType.INT32; values: Int32Array }
  | { type: typeof DataType.INT8; values: Int8Array }
  | { type: typeof DataType.UINT8; values: Uint8Array };

/** A dimension: a fixed size or a symbolic name such as `N`. */
export type Dim = number | string;

export function toAttributeProto(name: string, a: Attr): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
}

/** A tensor proto with little-endian `rawData`. */
export function tensorProto(name: string, dims: number[], data: TensorData): OnnxTypes.ITensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.values.length !== count)
    throw new RangeError(`tensor ${name}: ${data.values.length} values for dims [${dims.join(',')}]`);
  const raw =
    data.type === DataType.INT64
      ? new Uint8Array(BigInt64Array.from(data.values, (v) => BigInt(v)).buffer)
      : new Uint8Array(data.values.buffer, data.values.byteOffset, data.values.byteLength).slice();
  return { name, dims, dataType: data.type, rawData: raw };
}

export function valueInfo(name: string, elemType: DataTypeCode, dims: Dim[]): OnnxTypes.IValueInfoProto {
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

/** Builds one ONNX graph node by node; names are made unique per prefix. */
export class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  readonly #used = new Set<string>();

  constructor(readonly graphName: string) {}

  /** A fresh tensor/node name starting with `prefix`. */
  name(prefix: string): string {
    let candidate = prefix;
    for (let i = 1; this.#used.has(candidate); i++) candidate = `${prefix}_${i}`;
    this.#used.add(candidate);
    return candidate;
  }

  input(name: string, elemType: DataTypeCode, dims: Dim[]): string {
    this.#used.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataTypeCode, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Adds a constant tensor; returns its (unique) name. */
  constant(prefix: string, dims: number[], data: TensorData): string {
    const name = this.name(prefix);
    this.initializers.push(tensorProto(name, dims, data));
    return name;
  }

  /** Replaces the contents of a constant added earlier (same dims), e.g. to fold BatchNormalization into a Conv. */
  replaceConstant(name: string, data: TensorData): void {
    const i = this.initializers.findIndex((t) => t.name === name);
    const old = this.initializers[i];
    if (!old) throw new RangeError(`no constant ${name}`);
    this.initializers[i] = tensorProto(name, (old.dims ?? []).map(Number), data);
  }

  floats(prefix: string, dims: number[], values: ArrayLike<number>): string {
    return this.constant(prefix, dims, { type: DataType.FLOAT, values: Float32Array.from(values) });
  }

  int64s(prefix: string, values: number[], dims: number[] = [values.length]): string {
    return this.constant(prefix, dims, { type: DataType.INT64, values });
  }

  /** Adds a node; `outputs` are names, or a prefix for one fresh output. Returns the output names. */
  node(
    op: string,
    inputs: string[],
    outputs: string[] | string,
    attrs: Record<string, Attr> = {},
    domain?: string,
  ): string[] {
    const outs = typeof outputs === 'string' ? [this.name(outputs)] : outputs;
    outs.forEach((o) => this.#used.add(o));
    this.nodes.push({
      opType: op,
      name: this.name(`${op}_node`),
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => toAttributeProto(k, v)),
      ...(domain ? { domain } : {}),
    });
    return outs;
  }

  /** `node` for single-output ops; returns that output's name. */
  op(op: string, inputs: string[], outPrefix: string, attrs: Record<string, Attr> = {}): string {
    return this.node(op, inputs, outPrefix, attrs)[0] as string;
  }

  /** Serialises the graph as a ModelProto. */
  build(opts: { opset: number; producer?: string; docString?: string }): Uint8Array {
    const model: OnnxTypes.IModelProto = {
      irVersion: IR_VERSION,
      producerName: opts.producer ?? 'takt',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: opts.opset }],
      ...(opts.docString ? { docString: opts.docString } : {}),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
