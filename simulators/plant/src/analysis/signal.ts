/**
 * Small signal measures used to state (and test) each fault's signature: tone amplitude by Goertzel,
 * band power by a direct DFT over a band, mean and standard deviation.
 */

/** Amplitude of the sinusoid at `hz` in `values` sampled at `rate` Hz (Goertzel, Hann-free; use whole cycles). */
export function toneAmplitude(values: ArrayLike<number>, rate: number, hz: number): number {
  const n = values.length;
  const w = (2 * Math.PI * hz) / rate;
  let re = 0;
  let im = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    re += v * Math.cos(w * i);
    im -= v * Math.sin(w * i);
  }
  return (2 * Math.hypot(re, im)) / n;
}

/** Mean power (g²) of the part of the signal between `lo` and `hi` Hz, via the DFT of the mean-removed signal. */
export function bandPower(values: ArrayLike<number>, rate: number, lo: number, hi: number): number {
  const n = values.length;
  const mean = meanOf(values);
  const k0 = Math.max(1, Math.ceil((lo * n) / rate));
  const k1 = Math.min(Math.floor(n / 2), Math.floor((hi * n) / rate));
  let power = 0;
  for (let k = k0; k <= k1; k++) {
    const w = (2 * Math.PI * k) / n;
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      const v = (values[i] as number) - mean;
      re += v * Math.cos(w * i);
      im -= v * Math.sin(w * i);
    }
    power += (2 * (re * re + im * im)) / (n * n);
  }
  return power;
}

export function meanOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return values.length === 0 ? Number.NaN : s / values.length;
}

export function stdOf(values: ArrayLike<number>): number {
  const m = meanOf(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += ((values[i] as number) - m) ** 2;
  return Math.sqrt(s / values.length);
}
