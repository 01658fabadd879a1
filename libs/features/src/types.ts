/** Evenly spaced samples of one sensor at `rate` Hz. */
export interface SensorWindow {
  /** samples per second, Hz */
  rate: number;
  values: Float64Array;
}

/** One window of one device: every sensor's samples with timestamps in [start, end). */
export interface FeatureWindow {
  deviceId: string;
  /** ms since epoch, inclusive */
  start: number;
  /** ms since epoch, exclusive */
  end: number;
  sensors: Record<string, SensorWindow>;
}
