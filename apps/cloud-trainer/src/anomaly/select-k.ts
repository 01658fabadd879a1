import { TrainerError } from '../errors.js';
import { sqDist, takeRows, type Matrix } from './matrix.js';
import { fitKmeans, type KmeansResult } from './kmeans.js';
import { SeededRandom } from './random.js';

/**
 * Mean silhouette s(i) = (b - a) / max(a, b) of a clustering (a: mean distance to the own cluster,
 * b: to the nearest other one). Singletons count 0 (Rousseeuw 1987). O(n²·d): pass a sample.
 */
export function silhouette(m: Matrix, labels: Int32Array, k: number): number {
  if (k < 2) return 0;
  const sizes = new Int32Array(k);
  for (const l of labels) sizes[l] = (sizes[l] as number) + 1;
  let total = 0;
  const sums = new Float64Array(k);
  for (let i = 0; i < m.rows; i++) {
    sums.fill(0);
    for (let j = 0; j < m.rows; j++)
      if (j !== i) sums[labels[j] as number] = (sums[labels[j] as number] as number) + Math.sqrt(sqDist(m, i, m, j));
    const own = labels[i] as number;
    if ((sizes[own] as number) <= 1) continue;
    const a = (sums[own] as number) / ((sizes[own] as number) - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++)
      if (c !== own && (sizes[c] as number) > 0) b = Math.min(b, (sums[c] as number) / (sizes[c] as number));
    if (b === Infinity) continue;
    total += (b - a) / Math.max(a, b);
  }
  return total / m.rows;
}

export interface SelectKOptions {
  /** smallest k tried; default 2 */
  minK?: number;
  /** largest k tried; default 8 */
  maxK?: number;
  /** restarts per k; default 5 */
  restarts?: number;
  /** rows k-means is fitted on per k (a seeded sample of them); default 4000 */
  fitSample?: number;
  /** rows the silhouette is computed on; default 800 */
  silhouetteSample?: number;
  seed?: number;
  /** called after each k with its silhouette */
  onK?: (k: number, silhouette: number) => void;
}

export interface SelectKResult {
  k: number;
  /** the winning clustering, fitted on the fit sample */
  model: KmeansResult;
  /** silhouette of every k tried */
  silhouettes: Record<number, number>;
}

/**
 * Chooses k in [minK, maxK] by the largest mean silhouette on a seeded sample. The silhouette
 * judges separation against compactness directly, with no distribution assumed — features after
 * robust scaling are skewed and heavy-tailed, which breaks BIC's spherical-Gaussian likelihood.
 */
export function selectK(m: Matrix, options: SelectKOptions = {}): SelectKResult {
  const minK = options.minK ?? 2;
  const maxK = Math.min(options.maxK ?? 8, m.rows - 1);
  if (m.rows < minK + 1)
    throw new TrainerError(
      'TOO_FEW_ROWS',
      `${m.rows} rows are too few to choose among k >= ${minK} clusters: need at least ${minK + 1}`,
    );
  const rng = new SeededRandom(options.seed ?? 1);
  const fit = takeRows(m, rng.sample(m.rows, options.fitSample ?? 4000));
  const evalIdx = rng.sample(fit.rows, options.silhouetteSample ?? 800);
  const evalRows = takeRows(fit, evalIdx);
  const silhouettes: Record<number, number> = {};
  let best: { k: number; s: number; model: KmeansResult } | undefined;
  for (let k = minK; k <= maxK; k++) {
    const model = fitKmeans(fit, { k, restarts: options.restarts ?? 5, seed: (options.seed ?? 1) * 1000 + k });
    const s = silhouette(
      evalRows,
      Int32Array.from(evalIdx, (i) => model.labels[i] as number),
      k,
    );
    silhouettes[k] = s;
    options.onK?.(k, s);
    if (!best || s > best.s + 1e-9) best = { k, s, model };
  }
  const chosen = best as { k: number; model: KmeansResult };
  return { k: chosen.k, model: chosen.model, silhouettes };
}
