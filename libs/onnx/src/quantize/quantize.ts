import { OnnxExportError } from '../errors.js';
import { calibrate, type CalibrationOptions } from './calibrate.js';
import { decodeModel, encodeModel, indexGraph } from './model-io.js';
import { planQuantization } from './plan.js';
import { poolBeforeRelu } from './reorder.js';
import { rewriteQdq } from './rewrite.js';

export interface QuantizeOptions extends CalibrationOptions {
  /**
   * Conv/Gemm/MatMul whose dot-product length (input channels × kernel size, or Dense inputs) is
   * below this stay fp32: int8 kernels pad the reduction and lose on tiny ones, e.g. a first
   * 3×3 conv on one gray channel (length 9) ran ~10× slower as QLinearConv than as fp32 Conv here.
   * Default 32; 0 quantizes every one.
   */
  minReduction?: number;
}

/** What `quantizeInt8` produces, in the words of the model manifest's `quantization` field. */
export const INT8_QUANTIZATION = {
  format: 'qdq',
  weights: 'int8-per-channel-symmetric',
  activations: 'uint8',
} as const;

/**
 * Static int8 quantization in QDQ form (opset ≥ 13). Weights of Conv/Gemm/MatMul: int8,
 * symmetric, one scale per output channel. Activations: uint8 asymmetric (the U8S8 pairing that
 * onnxruntime's CPU provider fuses into QLinearConv / QGemm / QLinearMatMul, QLinearAveragePool,
 * QLinearGlobalAveragePool…, with VNNI where the CPU has it), ranges calibrated by running the fp32
 * model on `calibration` (each a flattened batch of model inputs of shape `opts.inputShape`).
 * Throws `OnnxExportError`: `INVALID_MODEL`, `INVALID_PARAMS`, `UNSUPPORTED_CONFIG`, `CALIBRATION_FAILED`.
 */
export async function quantizeInt8(
  model: Uint8Array,
  calibration: Float32Array[],
  opts: QuantizeOptions,
): Promise<Uint8Array> {
  if (calibration.length === 0) throw new OnnxExportError('INVALID_PARAMS', 'quantizeInt8: no calibration batches');
  if (opts.inputShape.length < 2 || !opts.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OnnxExportError(
      'INVALID_PARAMS',
      `quantizeInt8: inputShape [${opts.inputShape.join(', ')}] must be positive integers, batch first`,
    );
  }
  const proto = decodeModel(model);
  const opset = Number(proto.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  if (opset < 13)
    throw new OnnxExportError(
      'UNSUPPORTED_CONFIG',
      `quantizeInt8: opset ${opset} < 13 (per-channel DequantizeLinear needs 13)`,
    );
  const minReduction = opts.minReduction ?? 32;
  poolBeforeRelu(proto, minReduction);
  const index = indexGraph(proto);
  const plan = planQuantization(proto, index, minReduction);
  if (plan.weighted.size === 0)
    throw new OnnxExportError(
      'UNSUPPORTED_CONFIG',
      'quantizeInt8: the model has no Conv, Gemm or MatMul with constant weights',
    );
  const ranges = await calibrate(
    model,
    plan.tensors.filter((t) => !plan.sharedWith.has(t)),
    calibration,
    opts,
  );
  rewriteQdq(proto, index, plan, ranges);
  proto.producerName = `${proto.producerName ?? 'takt'}+int8`;
  return encodeModel(proto);
}
