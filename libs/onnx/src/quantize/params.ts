import type { Range } from './calibrate.js';

/** uint8 asymmetric activation parameters: real = (q − zeroPoint) · scale. */
export interface ActivationParams {
  scale: number;
  zeroPoint: number;
}

/**
 * uint8 parameters covering [min(0, min), max(0, max)] so that 0 is exact (zero padding, ReLU).
 * A ReLU output (min = 0) gets zeroPoint 0, which is what lets the ReLU be dropped.
 */
export function activationParams(r: Range): ActivationParams {
  const lo = Math.min(0, r.min);
  let hi = Math.max(0, r.max);
  if (hi - lo < 1e-8) hi = lo + 1e-8;
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** Per-channel symmetric int8 weights along `axis`: q ∈ [−127, 127], zero point 0. */
export function quantizeWeightsPerChannel(
  w: Float32Array,
  dims: number[],
  axis: number,
): { q: Int8Array; scales: Float32Array } {
  const channels = dims[axis] as number;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const absMax = new Float64Array(channels);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  for (let i = 0; i < w.length; i++)
    absMax[channelOf(i)] = Math.max(absMax[channelOf(i)] as number, Math.abs(w[i] as number));
  const scales = Float32Array.from(absMax, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++)
    q[i] = Math.max(-127, Math.min(127, Math.round((w[i] as number) / (scales[channelOf(i)] as number))));
  return { q, scales };
}

/** int32 bias with scale inputScale · weightScale[c] and zero point 0, as QLinearConv/QGemm expect. */
export function quantizeBias(
  b: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { q: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(weightScales, (s) => inputScale * s);
  const q = Int32Array.from(b, (v, i) =>
    Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / (scales[i] as number)))),
  );
  return { q, scales };
}
