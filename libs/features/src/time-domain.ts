/** Time-domain statistics of one sensor window; fixed summation order (float64). */
export interface TimeStats {
  mean: number;
  rms: number;
  /** population standard deviation */
  std: number;
  /** largest absolute value */
  peak: number;
  /** peak / rms; 0 when rms is 0 */
  crest: number;
  /** Pearson kurtosis m4/m2² (3 for a Gaussian); 0 for a constant signal */
  kurtosis: number;
  /** m3/m2^1.5; 0 for a constant signal */
  skew: number;
}

export const TIME_FEATURES = ['mean', 'rms', 'std', 'peak', 'crest', 'kurtosis', 'skew'] as const;

export function timeStats(values: Float64Array): TimeStats {
  const n = values.length;
  let sum = 0;
  let sumSq = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    sum += v;
    sumSq += v * v;
    const a = Math.abs(v);
    if (a > peak) peak = a;
  }
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const rms = Math.sqrt(sumSq / n);
  // A variance this small relative to the level is rounding noise: treat the signal as constant.
  const flat = m2 <= Number.EPSILON * Number.EPSILON * Math.max(1, mean * mean);
  return {
    mean,
    rms,
    std: Math.sqrt(m2),
    peak,
    crest: rms > 0 ? peak / rms : 0,
    kurtosis: flat ? 0 : m4 / (m2 * m2),
    skew: flat ? 0 : m3 / Math.pow(m2, 1.5),
  };
}
