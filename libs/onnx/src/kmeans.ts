import { OnnxExportError } from './errors.js';
import { attr, GraphBuilder } from './graph.js';
import { DataType } from './proto.js';

/** K-means anomaly model parameters: centroids live in the robust-scaled space. */
export interface KmeansParams {
  /** k centroids × F features, in scaled units */
  centroids: number[][];
  /** per-feature median (or other center) subtracted first, length F */
  center: number[];
  /** per-feature scale (e.g. IQR) divided by after centering, length F, all > 0 */
  scale: number[];
  /** graph input name; default `features` */
  inputName?: string;
}

/** opset the K-means graph is written for (Sub/Div/Unsqueeze/ReduceSum with input axes, ArgMin). */
export const KMEANS_OPSET = 13;

function validate(p: KmeansParams): number {
  const f = p.center.length;
  const bad = (msg: string): never => {
    throw new OnnxExportError('INVALID_PARAMS', `kmeansToOnnx: ${msg}`);
  };
  if (f === 0) bad('center is empty');
  if (p.scale.length !== f) bad(`scale has ${p.scale.length} values, center has ${f}`);
  if (p.centroids.length === 0) bad('no centroids');
  p.centroids.forEach((c, i) => c.length !== f && bad(`centroid ${i} has ${c.length} values, expected ${f}`));
  if (![...p.center, ...p.centroids.flat()].every(Number.isFinite)) bad('center and centroids must be finite');
  if (!p.scale.every((s) => Number.isFinite(s) && s > 0)) bad('every scale must be finite and > 0');
  return f;
}

/**
 * The K-means anomaly graph. Input `features` float32 [N, F]; z = (x − center) / scale;
 * d²[n,k] = Σ_f (z[n,f] − c[k,f])² (explicit differences, no ‖a‖²−2ab+‖b‖² cancellation);
 * outputs `score` float32 [N] = √(min_k d²) — the Euclidean distance to the nearest centroid in
 * scaled units — and `cluster` int64 [N] = argmin_k d² (first index on ties).
 */
export function kmeansToOnnx(p: KmeansParams): Uint8Array {
  const f = validate(p);
  const k = p.centroids.length;
  const g = new GraphBuilder('takt_kmeans');
  const x = g.input(p.inputName ?? 'features', DataType.FLOAT, ['N', f]);
  const centered = g.op('Sub', [x, g.floats('center', [f], p.center)], 'centered');
  const z = g.op('Div', [centered, g.floats('scale', [f], p.scale)], 'scaled');
  const z3 = g.op('Unsqueeze', [z, g.int64s('axis1', [1])], 'scaled_n1f');
  const diff = g.op('Sub', [z3, g.floats('centroids', [k, f], p.centroids.flat())], 'diff_nkf');
  const sq = g.op('Mul', [diff, diff], 'sq_nkf');
  const d2 = g.op('ReduceSum', [sq, g.int64s('axis2', [2])], 'dist2_nk', { keepdims: attr.i(0) });
  const min = g.op('ReduceMin', [d2], 'min_dist2', { axes: attr.ints([1]), keepdims: attr.i(0) });
  g.node('Sqrt', [min], ['score']);
  g.node('ArgMin', [d2], ['cluster'], { axis: attr.i(1), keepdims: attr.i(0), select_last_index: attr.i(0) });
  g.output('score', DataType.FLOAT, ['N']);
  g.output('cluster', DataType.INT64, ['N']);
  return g.build({
    opset: KMEANS_OPSET,
    docString: `k-means anomaly: ${k} centroids over ${f} robust-scaled features; score = distance to nearest centroid`,
  });
}

/**
 * Plain TypeScript reference of the same computation (float64): what the graph must agree with,
 * and what the trainer can use to score without onnxruntime.
 */
export function kmeansScore(p: KmeansParams, features: ArrayLike<number>): { score: number; cluster: number } {
  let best = Infinity;
  let cluster = 0;
  p.centroids.forEach((c, j) => {
    let d2 = 0;
    for (let i = 0; i < c.length; i++) {
      const z = ((features[i] as number) - (p.center[i] as number)) / (p.scale[i] as number);
      d2 += (z - (c[i] as number)) ** 2;
    }
    if (d2 < best) {
      best = d2;
      cluster = j;
    }
  });
  return { score: Math.sqrt(best), cluster };
}
