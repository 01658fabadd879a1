import { TrainerError } from '../errors.js';
import { nearest, row, sqDist, type Matrix } from './matrix.js';
import { SeededRandom } from './random.js';

export interface KmeansOptions {
  k: number;
  /** independent k-means++ starts; the lowest inertia wins; default 5 */
  restarts?: number;
  /** Lloyd iterations per start at most; default 100 */
  maxIterations?: number;
  /** stop when no centroid moves more than this (scaled units); default 1e-6 */
  tolerance?: number;
  /** PRNG seed; default 1 */
  seed?: number;
  /** called after each restart with its inertia */
  onRestart?: (restart: number, inertia: number) => void;
}

export interface KmeansResult {
  centroids: Matrix;
  /** cluster of each row */
  labels: Int32Array;
  /** sum of squared distances to the assigned centroid */
  inertia: number;
  iterations: number;
}

/** k-means++ seeding: each next centroid drawn with probability ∝ squared distance to the nearest chosen one. */
export function kmeansPlusPlus(m: Matrix, k: number, rng: SeededRandom): Matrix {
  const c: Matrix = { rows: k, cols: m.cols, data: new Float64Array(k * m.cols) };
  c.data.set(row(m, rng.int(m.rows)), 0);
  const d2 = new Float64Array(m.rows).fill(Infinity);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < m.rows; i++) {
      const sq = sqDist(m, i, c, j - 1);
      if (sq < (d2[i] as number)) d2[i] = sq;
      total += d2[i] as number;
    }
    let pick = m.rows - 1;
    if (total > 0) {
      let target = rng.next() * total;
      for (let i = 0; i < m.rows; i++) {
        target -= d2[i] as number;
        if (target < 0) {
          pick = i;
          break;
        }
      }
    } else {
      pick = rng.int(m.rows);
    }
    c.data.set(row(m, pick), j * m.cols);
  }
  return c;
}

function assign(m: Matrix, centroids: Matrix, labels: Int32Array, dist: Float64Array): number {
  let inertia = 0;
  for (let i = 0; i < m.rows; i++) {
    const n = nearest(m, i, centroids);
    labels[i] = n.index;
    dist[i] = n.sq;
    inertia += n.sq;
  }
  return inertia;
}

/** Recomputes centroids as cluster means; an empty cluster takes the point farthest from its centroid. Returns the largest shift. */
function update(m: Matrix, centroids: Matrix, labels: Int32Array, dist: Float64Array): number {
  const { cols } = m;
  const sums = new Float64Array(centroids.rows * cols);
  const counts = new Int32Array(centroids.rows);
  for (let i = 0; i < m.rows; i++) {
    const l = labels[i] as number;
    counts[l] = (counts[l] as number) + 1;
    for (let c = 0; c < cols; c++)
      sums[l * cols + c] = (sums[l * cols + c] as number) + (m.data[i * cols + c] as number);
  }
  let shift = 0;
  for (let k = 0; k < centroids.rows; k++) {
    let next: Float64Array;
    if (counts[k] === 0) {
      let far = 0;
      for (let i = 1; i < dist.length; i++) if ((dist[i] as number) > (dist[far] as number)) far = i;
      next = row(m, far).slice();
      dist[far] = 0;
    } else {
      next = sums.subarray(k * cols, (k + 1) * cols).map((s) => s / (counts[k] as number));
    }
    let sq = 0;
    for (let c = 0; c < cols; c++) sq += ((next[c] as number) - (centroids.data[k * cols + c] as number)) ** 2;
    shift = Math.max(shift, Math.sqrt(sq));
    centroids.data.set(next, k * cols);
  }
  return shift;
}

function lloyd(m: Matrix, init: Matrix, maxIterations: number, tolerance: number): KmeansResult {
  const labels = new Int32Array(m.rows);
  const dist = new Float64Array(m.rows);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    assign(m, init, labels, dist);
    if (update(m, init, labels, dist) <= tolerance) break;
  }
  const inertia = assign(m, init, labels, dist);
  return { centroids: init, labels, inertia, iterations: iterations + 1 };
}

/** k-means (Lloyd) from k-means++ starts; the restart with the lowest inertia wins. Deterministic for a seed. */
export function fitKmeans(m: Matrix, options: KmeansOptions): KmeansResult {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new TrainerError('BAD_ARGUMENT', `k must be a positive integer, got ${k}`);
  if (m.rows < k)
    throw new TrainerError('TOO_FEW_ROWS', `${m.rows} rows cannot form ${k} clusters: need at least ${k} rows`);
  const rng = new SeededRandom(options.seed ?? 1);
  let best: KmeansResult | undefined;
  const restarts = options.restarts ?? 5;
  for (let r = 0; r < restarts; r++) {
    const result = lloyd(m, kmeansPlusPlus(m, k, rng), options.maxIterations ?? 100, options.tolerance ?? 1e-6);
    options.onRestart?.(r, result.inertia);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best as KmeansResult;
}

/** Continues Lloyd iterations from given centroids (e.g. a sample's solution refined on all data). */
export function refineKmeans(m: Matrix, centroids: Matrix, maxIterations = 20, tolerance = 1e-6): KmeansResult {
  return lloyd(m, { ...centroids, data: centroids.data.slice() }, maxIterations, tolerance);
}
