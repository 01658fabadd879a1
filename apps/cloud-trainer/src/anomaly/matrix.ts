/** Row-major samples × features, float64: the shape every k-means step works on. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrixFromRows(rows: ArrayLike<number>[], cols = rows[0]?.length ?? 0): Matrix {
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => data.set(Array.from(r), i * cols));
  return { rows: rows.length, cols, data };
}

export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** The rows at `indices`, copied. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float64Array(indices.length * m.cols);
  for (let j = 0; j < indices.length; j++) out.set(row(m, indices[j] as number), j * m.cols);
  return { rows: indices.length, cols: m.cols, data: out };
}

/** Squared Euclidean distance between row `i` of `a` and row `j` of `b`. */
export function sqDist(a: Matrix, i: number, b: Matrix, j: number): number {
  const d = a.cols;
  const ai = i * d;
  const bj = j * d;
  let s = 0;
  for (let c = 0; c < d; c++) {
    const x = (a.data[ai + c] as number) - (b.data[bj + c] as number);
    s += x * x;
  }
  return s;
}

/** Index and squared distance of the centroid nearest to row `i`. */
export function nearest(m: Matrix, i: number, centroids: Matrix): { index: number; sq: number } {
  let best = 0;
  let bestSq = Infinity;
  for (let k = 0; k < centroids.rows; k++) {
    const sq = sqDist(m, i, centroids, k);
    if (sq < bestSq) {
      bestSq = sq;
      best = k;
    }
  }
  return { index: best, sq: bestSq };
}
