/** Stable codes for every way an export or a quantization can be refused. */
export type OnnxErrorCode =
  | 'UNSUPPORTED_LAYER'
  | 'UNSUPPORTED_CONFIG'
  | 'INVALID_PARAMS'
  | 'INVALID_MODEL'
  | 'CALIBRATION_FAILED';

/** A model or parameter set that cannot be turned into (or quantized as) ONNX. */
export class OnnxExportError extends Error {
  override readonly name = 'OnnxExportError';
  readonly code: OnnxErrorCode;

  constructor(code: OnnxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
