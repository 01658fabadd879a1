export type { FeatureWindow, SensorWindow } from './types.js';
export { FeatureError, type FeatureErrorCode } from './errors.js';
export {
  computeFeatures,
  featureNames,
  bandsFor,
  sortedSensors,
  BAND_EDGES_HZ,
  SPECTRAL_MIN_RATE,
  type Band,
} from './features.js';
export { Windower, type WindowerOptions } from './windower.js';
export { fft, hann, nextPow2, powerSpectrum, type PowerSpectrum } from './fft.js';
export { timeStats, TIME_FEATURES, type TimeStats } from './time-domain.js';
export * from './resample.js';
export { resizeGrayArea, type GrayFrame } from './image-resize.js';
