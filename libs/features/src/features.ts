import { FeatureError } from './errors.js';
import { powerSpectrum } from './fft.js';
import { TIME_FEATURES, timeStats } from './time-domain.js';
import type { FeatureWindow, SensorWindow } from './types.js';

/** Sensors sampled at least this fast (Hz) also get frequency-domain features. */
export const SPECTRAL_MIN_RATE = 200;
/** Band edges in Hz: bands [0,500), [500,1000), [1000,2000), [2000,5000], clipped to Nyquist. */
export const BAND_EDGES_HZ = [0, 500, 1000, 2000, 5000] as const;

export interface Band {
  name: string;
  lo: number;
  hi: number;
}

/** The bands a sensor sampled at `rate` Hz gets: those starting below Nyquist, the top one clipped to it. */
export function bandsFor(rate: number): Band[] {
  const nyquist = rate / 2;
  const bands: Band[] = [];
  for (let i = 0; i + 1 < BAND_EDGES_HZ.length; i++) {
    const lo = BAND_EDGES_HZ[i];
    if (lo >= nyquist) break;
    const hi = Math.min(BAND_EDGES_HZ[i + 1], nyquist);
    bands.push({ name: `band_${lo}_${Math.round(hi)}`, lo, hi });
  }
  return bands;
}

function sensorFeatureNames(rate: number): string[] {
  const names: string[] = [...TIME_FEATURES];
  if (rate >= SPECTRAL_MIN_RATE) names.push('dominant_hz', ...bandsFor(rate).map((b) => b.name));
  return names;
}

/** Sensor names in the one stable order every feature vector uses (UTF-16 code-unit order). */
export function sortedSensors(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Feature keys `${sensor}.${feature}`, in the order `computeFeatures` returns them. */
export function featureNames(sensors: Record<string, number>): string[] {
  const out: string[] = [];
  for (const sensor of sortedSensors(Object.keys(sensors))) {
    const rate = sensors[sensor];
    for (const f of sensorFeatureNames(rate)) out.push(`${sensor}.${f}`);
  }
  return out;
}

function checkSensor(name: string, s: SensorWindow): void {
  if (!(s.rate > 0) || !Number.isFinite(s.rate))
    throw new FeatureError(
      'INVALID_RATE',
      `sensor ${JSON.stringify(name)} has rate ${s.rate}; must be a positive number of Hz`,
    );
  if (s.values.length === 0)
    throw new FeatureError('EMPTY_SENSOR', `sensor ${JSON.stringify(name)} has no samples in the window`);
  for (let i = 0; i < s.values.length; i++) {
    if (!Number.isFinite(s.values[i]))
      throw new FeatureError('NON_FINITE', `sensor ${JSON.stringify(name)} sample ${i} is ${s.values[i]}`);
  }
}

function spectralFeatures(s: SensorWindow, mean: number, out: Record<string, number>, prefix: string): void {
  const { power, binHz } = powerSpectrum(s.values, s.rate, mean);
  // DC is excluded (the mean is removed); ties go to the lower frequency.
  let best = 1;
  for (let k = 2; k < power.length; k++) if (power[k] > power[best]) best = k;
  out[`${prefix}dominant_hz`] = best * binHz;
  const bands = bandsFor(s.rate);
  for (let b = 0; b < bands.length; b++) {
    const band = bands[b];
    const last = b === bands.length - 1;
    let energy = 0;
    for (let k = 0; k < power.length; k++) {
      const f = k * binHz;
      if (f >= band.lo && (f < band.hi || (last && f <= band.hi))) energy += power[k];
    }
    out[`${prefix}${band.name}`] = energy;
  }
}

/**
 * Features of one window, keys `${sensor}.${feature}` in `featureNames` order: mean rms std peak crest
 * kurtosis skew for every sensor; dominant_hz and band energies ((unit)², one-sided, Hann) for sensors ≥ 200 Hz.
 * @throws FeatureError INVALID_RATE | EMPTY_SENSOR | NON_FINITE naming the sensor.
 */
export function computeFeatures(window: FeatureWindow): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of sortedSensors(Object.keys(window.sensors))) {
    const s = window.sensors[name];
    checkSensor(name, s);
    const t = timeStats(s.values);
    const prefix = `${name}.`;
    for (const f of TIME_FEATURES) out[prefix + f] = t[f];
    if (s.rate >= SPECTRAL_MIN_RATE) spectralFeatures(s, t.mean, out, prefix);
  }
  return out;
}
