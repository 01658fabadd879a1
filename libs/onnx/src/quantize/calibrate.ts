import * as ort from 'onnxruntime-node';
import { OnnxExportError } from '../errors.js';
import { DataType, type OnnxTypes } from '../proto.js';
import { decodeModel, encodeModel } from './model-io.js';

/** A tensor's calibrated float range. */
export interface Range {
  min: number;
  max: number;
}

export interface CalibrationOptions {
  /** shape of one calibration batch, batch first; the batch size may differ per batch */
  inputShape: number[];
  /** `minmax` (default): observed extremes; `percentile`: clip to the given percentile on each side */
  method?: 'minmax' | 'percentile';
  /** percentile kept on each side for `percentile`, in %; default 99.99 */
  percentile?: number;
}

/** values sampled per tensor for percentile calibration */
const SAMPLE_BUDGET = 1 << 17;

/** Observed ranges of `tensors` over the calibration batches, run on onnxruntime's CPU provider. */
export async function calibrate(
  model: Uint8Array,
  tensors: string[],
  batches: Float32Array[],
  opts: CalibrationOptions,
): Promise<Map<string, Range>> {
  const proto = decodeModel(model);
  const graph = proto.graph as OnnxTypes.IGraphProto;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  for (const t of tensors)
    if (!existing.has(t)) graph.output?.push({ name: t, type: { tensorType: { elemType: DataType.FLOAT } } });
  const inputName = graph.input?.[0]?.name as string;
  const session = await ort.InferenceSession.create(encodeModel(proto), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
  });
  const perSample = opts.inputShape.slice(1).reduce((a, b) => a * b, 1);
  const stats = new Map(tensors.map((t) => [t, { min: Infinity, max: -Infinity, sample: [] as number[] }]));
  const stride = (size: number) => Math.max(1, Math.ceil((size * batches.length) / SAMPLE_BUDGET));
  try {
    for (const batch of batches) {
      if (batch.length === 0 || batch.length % perSample !== 0) {
        throw new OnnxExportError(
          'INVALID_PARAMS',
          `calibration batch of ${batch.length} values is not a whole number of inputs of shape [${opts.inputShape.slice(1).join(', ')}]`,
        );
      }
      const out = await session.run({
        [inputName]: new ort.Tensor('float32', batch, [batch.length / perSample, ...opts.inputShape.slice(1)]),
      });
      for (const [name, s] of stats) {
        const data = out[name]?.data as Float32Array;
        for (let i = 0; i < data.length; i++) {
          const v = data[i] as number;
          if (v < s.min) s.min = v;
          if (v > s.max) s.max = v;
        }
        if (opts.method === 'percentile')
          for (let i = 0, k = stride(data.length); i < data.length; i += k) s.sample.push(data[i] as number);
      }
    }
  } finally {
    await session.release();
  }
  const ranges = new Map<string, Range>();
  for (const [name, s] of stats) {
    if (!Number.isFinite(s.min) || !Number.isFinite(s.max))
      throw new OnnxExportError('CALIBRATION_FAILED', `tensor ${name}: no finite values seen during calibration`);
    ranges.set(
      name,
      opts.method === 'percentile' ? percentileRange(s.sample, opts.percentile ?? 99.99) : { min: s.min, max: s.max },
    );
  }
  return ranges;
}

/** [q(100 − p), q(p)] of a sample. */
export function percentileRange(sample: number[], p: number): Range {
  if (!(p > 50 && p <= 100)) throw new OnnxExportError('INVALID_PARAMS', `percentile ${p} must be in (50, 100]`);
  const sorted = Float64Array.from(sample).sort();
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((q / 100) * (sorted.length - 1))))] as number;
  return { min: at(100 - p), max: at(p) };
}
