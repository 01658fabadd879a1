/**
 * Linear-interpolation resample of `values` to `n` points spanning the same interval. The edge's
 * fault-CNN input and the trainer's fault windows both use this one function, so training and
 * inference see identical numbers.
 */
export function resample(values: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  if (values.length === 0) return out;
  if (values.length === 1 || n === 1) return out.fill(values[0] as number);
  const step = (values.length - 1) / (n - 1);
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const lo = Math.floor(x);
    const hi = Math.min(lo + 1, values.length - 1);
    const t = x - lo;
    out[i] = (values[lo] as number) * (1 - t) + (values[hi] as number) * t;
  }
  return out;
}
