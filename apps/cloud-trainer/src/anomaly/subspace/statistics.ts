import type { SubspaceParams } from '@takt/onnx';
import type { Matrix } from '../matrix.js';

/** T² to the nearest centroid and SPE of every row of raw (unscaled) features, float64. */
export interface RowStatistics {
  t2: Float64Array;
  spe: Float64Array;
}

/** What the subspace graph computes before the limits, for a whole matrix (the graph's float64 twin). */
export function rowStatistics(p: SubspaceParams, raw: Matrix): RowStatistics {
  const f = p.center.length;
  const q = p.basis.length;
  const t2 = new Float64Array(raw.rows);
  const spe = new Float64Array(raw.rows);
  const z = new Float64Array(f);
  const s = new Float64Array(q);
  const sd = p.variance.map(Math.sqrt);
  for (let r = 0; r < raw.rows; r++) {
    for (let c = 0; c < f; c++)
      z[c] = ((raw.data[r * raw.cols + c] as number) - (p.center[c] as number)) / (p.scale[c] as number);
    for (let j = 0; j < q; j++) {
      const b = p.basis[j] as number[];
      let acc = 0;
      for (let c = 0; c < f; c++) acc += (b[c] as number) * (z[c] as number);
      s[j] = acc;
    }
    let best = Infinity;
    for (const cen of p.centroids) {
      let d2 = 0;
      for (let j = 0; j < q; j++) d2 += ((s[j] as number) / (sd[j] as number) - (cen[j] as number)) ** 2;
      if (d2 < best) best = d2;
    }
    t2[r] = best;
    if (q < f) {
      let e = 0;
      for (let c = 0; c < f; c++) {
        let rec = 0;
        for (let j = 0; j < q; j++) rec += (s[j] as number) * ((p.basis[j] as number[])[c] as number);
        e += ((z[c] as number) - rec) ** 2;
      }
      spe[r] = e;
    }
  }
  return { t2, spe };
}

/** The combined index the graph outputs: T²/limit + SPE/limit (SPE only when there is a residual). */
export function combinedScores(p: SubspaceParams, st: RowStatistics): Float64Array {
  const residual = p.basis.length < p.center.length;
  return Float64Array.from(st.t2, (t, i) => t / p.limits.t2 + (residual ? (st.spe[i] as number) / p.limits.spe : 0));
}
