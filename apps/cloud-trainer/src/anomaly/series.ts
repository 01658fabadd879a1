import type { Matrix } from './matrix.js';

/** Healthy samples of one device (or one CSV file), in time order: `ts[i]` is row i's time, ms. */
export interface AnomalySeries {
  id: string;
  ts: Float64Array;
  features: Matrix;
}

function slice(s: AnomalySeries, from: number, to: number): AnomalySeries {
  const { cols } = s.features;
  return {
    id: s.id,
    ts: s.ts.slice(from, to),
    features: { rows: to - from, cols, data: s.features.data.slice(from * cols, to * cols) },
  };
}

/**
 * Holds out the latest `fraction` of every series for threshold calibration, so the threshold is
 * set on scores of data the centroids never saw (in-sample scores are optimistically small).
 */
export function splitForCalibration(
  series: AnomalySeries[],
  fraction: number,
): { fit: AnomalySeries[]; calibration: AnomalySeries[] } {
  const fit: AnomalySeries[] = [];
  const calibration: AnomalySeries[] = [];
  for (const s of series) {
    const n = s.features.rows;
    const nCal = n >= 8 ? Math.floor(n * fraction) : 0;
    fit.push(slice(s, 0, n - nCal));
    if (nCal > 0) calibration.push(slice(s, n - nCal, n));
  }
  return { fit, calibration };
}

/** All rows of all series, one matrix. */
export function stack(series: AnomalySeries[]): Matrix {
  const cols = series[0]?.features.cols ?? 0;
  const rows = series.reduce((n, s) => n + s.features.rows, 0);
  const data = new Float64Array(rows * cols);
  let at = 0;
  for (const s of series) {
    data.set(s.features.data.subarray(0, s.features.rows * cols), at);
    at += s.features.rows * cols;
  }
  return { rows, cols, data };
}
