/**
 * Radix-2 FFT and the Hann-windowed one-sided power spectrum the features use.
 * Plain float64 loops in a fixed order, so the edge and the cloud get bit-identical numbers
 * for the same input on the same Node build.
 */

/** Smallest power of two ≥ n (and ≥ 2). */
export function nextPow2(n: number): number {
  let p = 2;
  while (p < n) p *= 2;
  return p;
}

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const cos = new Float64Array(n / 2);
    const sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      cos[k] = Math.cos((2 * Math.PI * k) / n);
      sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    t = { cos, sin };
    if (twiddleCache.size > 32) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

/**
 * In-place iterative radix-2 decimation-in-time FFT of (re, im).
 * @throws RangeError when the length is not a power of two or the arrays differ in length.
 */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (im.length !== n) throw new RangeError(`fft: im has length ${im.length}, re has ${n}`);
  if (n < 1 || (n & (n - 1)) !== 0) throw new RangeError(`fft: length ${n} is not a power of two`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }
  const { cos, sin } = twiddles(n);
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sin[k * step];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] = re[a] + xr;
        im[a] = im[a] + xi;
      }
    }
  }
}

/** Periodic-free (symmetric) Hann window of length n: 0.5·(1 − cos(2πi/(n−1))). */
export function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  if (n === 1) {
    w[0] = 1;
    return w;
  }
  for (let i = 0; i < n; i++) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * i) / (n - 1)));
  return w;
}

export interface PowerSpectrum {
  /** one-sided power per bin k = 0..nfft/2, in (signal unit)²; the bins sum to ≈ the signal's variance */
  power: Float64Array;
  /** Hz between bins: rate / nfft */
  binHz: number;
}

/**
 * One-sided power spectrum of `values` (mean removed, Hann-windowed, zero-padded to a power of two).
 * Scaled so a bin sum estimates mean-square power: P_k = c·|X_k|² / (nfft·Σw²), c = 2 except DC and Nyquist.
 */
export function powerSpectrum(values: Float64Array, rate: number, mean: number): PowerSpectrum {
  const n = values.length;
  const nfft = nextPow2(n);
  const w = hann(n);
  const re = new Float64Array(nfft);
  const im = new Float64Array(nfft);
  let sumW2 = 0;
  for (let i = 0; i < n; i++) {
    re[i] = (values[i] - mean) * w[i];
    sumW2 += w[i] * w[i];
  }
  fft(re, im);
  const half = nfft / 2;
  const power = new Float64Array(half + 1);
  const norm = sumW2 > 0 ? nfft * sumW2 : 1;
  for (let k = 0; k <= half; k++) {
    const mag2 = re[k] * re[k] + im[k] * im[k];
    power[k] = ((k === 0 || k === half ? 1 : 2) * mag2) / norm;
  }
  return { power, binHz: rate / nfft };
}
