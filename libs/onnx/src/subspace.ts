import { OnnxExportError } from './errors.js';
import { attr, GraphBuilder } from './graph.js';
import { DataType } from './proto.js';

/**
 * A subspace anomaly model: principal components of the scaled features, K-means (or one centroid
 * at the origin: PCA) in the whitened principal scores, and the residual off the subspace.
 *
 *   z = (x − center) / scale                       scaled features, F
 *   s = z · Pᵀ,  t = s / √λ                        principal scores, whitened, q ≤ F
 *   D = min_k ‖t − c_k‖²                           Hotelling's T² to the nearest centroid
 *   Q = ‖z − s · P‖²                               SPE, the squared prediction error (0 when q = F)
 *   score = D / limits.t2 + Q / limits.spe         the combined index of Yue & Qin (2001)
 *
 * With `limits` at each statistic's healthy 99th percentile, a healthy row scores about 1 or less
 * whichever statistic moves, and one threshold on the score covers both.
 */
export interface SubspaceParams {
  /** per-feature center subtracted first, length F */
  center: number[];
  /** per-feature scale divided by after centering, length F, all > 0 */
  scale: number[];
  /** q principal directions (rows, unit length) in the scaled space, q ≥ 1, each of length F */
  basis: number[][];
  /** variance of the scaled data along each direction, length q, all > 0 */
  variance: number[];
  /** k centroids in the whitened scores, each of length q; PCA is one centroid at 0 */
  centroids: number[][];
  /** divisors of the two statistics (> 0); `spe` is unused when q = F */
  limits: { t2: number; spe: number };
  /** graph input name; default `features` */
  inputName?: string;
}

/** opset the subspace graph is written for (as the K-means graph). */
export const SUBSPACE_OPSET = 13;

function validate(p: SubspaceParams): { f: number; q: number } {
  const f = p.center.length;
  const q = p.basis.length;
  const bad = (msg: string): never => {
    throw new OnnxExportError('INVALID_PARAMS', `subspaceToOnnx: ${msg}`);
  };
  if (f === 0) bad('center is empty');
  if (p.scale.length !== f) bad(`scale has ${p.scale.length} values, center has ${f}`);
  if (q === 0 || q > f) bad(`basis has ${q} directions; need 1..${f}`);
  p.basis.forEach((b, i) => b.length !== f && bad(`basis direction ${i} has ${b.length} values, expected ${f}`));
  if (p.variance.length !== q) bad(`variance has ${p.variance.length} values, basis has ${q} directions`);
  if (p.centroids.length === 0) bad('no centroids');
  p.centroids.forEach((c, i) => c.length !== q && bad(`centroid ${i} has ${c.length} values, expected ${q}`));
  if (![...p.center, ...p.basis.flat(), ...p.centroids.flat()].every(Number.isFinite))
    bad('center, basis and centroids must be finite');
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  if (!p.scale.every(positive)) bad('every scale must be finite and > 0');
  if (!p.variance.every(positive)) bad('every variance must be finite and > 0');
  if (!positive(p.limits.t2) || !positive(p.limits.spe)) bad('limits must be finite and > 0');
  return { f, q };
}

/**
 * The subspace anomaly graph: input `features` float32 [N, F]; outputs `score` float32 [N] (the
 * combined index above) and `cluster` int64 [N] (nearest centroid, first on ties) — the same
 * inputs and outputs as the K-means graph, so the edge runs either the same way.
 */
export function subspaceToOnnx(p: SubspaceParams): Uint8Array {
  const { f, q } = validate(p);
  const k = p.centroids.length;
  const g = new GraphBuilder('takt_subspace');
  const x = g.input(p.inputName ?? 'features', DataType.FLOAT, ['N', f]);
  const z = g.op(
    'Div',
    [g.op('Sub', [x, g.floats('center', [f], p.center)], 'centered'), g.floats('scale', [f], p.scale)],
    'scaled',
  );
  const basisT = Array.from({ length: f * q }, (_, i) => (p.basis[i % q] as number[])[Math.floor(i / q)] as number);
  const s = g.op('MatMul', [z, g.floats('basis_t', [f, q], basisT)], 'scores_nq');
  const t = g.op('Div', [s, g.floats('sd', [q], p.variance.map(Math.sqrt))], 'whitened_nq');
  const diff = g.op(
    'Sub',
    [g.op('Unsqueeze', [t, g.int64s('axis1', [1])], 'whitened_n1q'), g.floats('centroids', [k, q], p.centroids.flat())],
    'diff_nkq',
  );
  const d2 = g.op('ReduceSum', [g.op('Mul', [diff, diff], 'sq_nkq'), g.int64s('axis2', [2])], 'dist2_nk', {
    keepdims: attr.i(0),
  });
  const t2 = g.op(
    'Div',
    [
      g.op('ReduceMin', [d2], 'min_dist2', { axes: attr.ints([1]), keepdims: attr.i(0) }),
      g.floats('limit_t2', [], [p.limits.t2]),
    ],
    't2_index',
  );
  if (q < f) {
    const recon = g.op('MatMul', [s, g.floats('basis', [q, f], p.basis.flat())], 'recon_nf');
    const r = g.op('Sub', [z, recon], 'residual_nf');
    const spe = g.op('ReduceSum', [g.op('Mul', [r, r], 'residual_sq'), g.int64s('axis_f', [1])], 'spe', {
      keepdims: attr.i(0),
    });
    g.node('Add', [t2, g.op('Div', [spe, g.floats('limit_spe', [], [p.limits.spe])], 'spe_index')], ['score']);
  } else {
    g.node('Identity', [t2], ['score']);
  }
  g.node('ArgMin', [d2], ['cluster'], { axis: attr.i(1), keepdims: attr.i(0), select_last_index: attr.i(0) });
  g.output('score', DataType.FLOAT, ['N']);
  g.output('cluster', DataType.INT64, ['N']);
  return g.build({
    opset: SUBSPACE_OPSET,
    docString: `subspace anomaly: ${k} centroid(s) in ${q} whitened principal scores of ${f} scaled features, plus SPE; score = T²/${p.limits.t2.toPrecision(4)} + SPE/${p.limits.spe.toPrecision(4)}`,
  });
}

/** The two statistics of one row (float64), before the limits divide them. */
export function subspaceStatistics(
  p: SubspaceParams,
  features: ArrayLike<number>,
): { t2: number; spe: number; cluster: number } {
  const f = p.center.length;
  const z = Array.from(
    { length: f },
    (_, i) => ((features[i] as number) - (p.center[i] as number)) / (p.scale[i] as number),
  );
  const s = p.basis.map((b) => b.reduce((acc, v, i) => acc + v * (z[i] as number), 0));
  const t = s.map((v, j) => v / Math.sqrt(p.variance[j] as number));
  let t2 = Infinity;
  let cluster = 0;
  p.centroids.forEach((c, j) => {
    const d2 = c.reduce((acc, v, i) => acc + ((t[i] as number) - v) ** 2, 0);
    if (d2 < t2) [t2, cluster] = [d2, j];
  });
  let spe = 0;
  if (p.basis.length < f) {
    for (let i = 0; i < f; i++)
      spe += ((z[i] as number) - s.reduce((acc, v, j) => acc + v * ((p.basis[j] as number[])[i] as number), 0)) ** 2;
  }
  return { t2, spe, cluster };
}

/** Plain TypeScript reference of the graph (float64): what it must agree with. */
export function subspaceScore(p: SubspaceParams, features: ArrayLike<number>): { score: number; cluster: number } {
  const { t2, spe, cluster } = subspaceStatistics(p, features);
  return { score: t2 / p.limits.t2 + (p.basis.length < p.center.length ? spe / p.limits.spe : 0), cluster };
}
