import onnxProto from 'onnx-proto';

/**
 * The ONNX protobuf messages (onnx-proto: protobufjs static code generated from onnx.proto of
 * ONNX 1.10, IR version 8). Everything that builds or reads a model goes through these.
 */
export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** IR version written into every model (ONNX 1.10; onnxruntime reads 3..10+). */
export const IR_VERSION = 8;

/** int64 fields decode as `Long` objects (protobufjs pulls in `long`); this turns either into a number. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
