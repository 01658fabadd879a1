import { CodedError } from '@takt/contracts';

/** Stable codes for every way an export or a quantization can be refused. */
export type OnnxErrorCode =
  'UNSUPPORTED_LAYER' | 'UNSUPPORTED_CONFIG' | 'INVALID_PARAMS' | 'INVALID_MODEL' | 'CALIBRATION_FAILED';

/** A model or parameter set that cannot be turned into (or quantized as) ONNX. */
export class OnnxExportError extends CodedError<OnnxErrorCode> {
  override readonly name = 'OnnxExportError';

  constructor(code: OnnxErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
