/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan §8.5):
 * slow for large n (O(n³) per sweep) but simple, exact to rounding and unconditionally stable,
 * which is what a covariance of at most a few hundred features needs.
 */
export interface SymmetricEigen {
  /** eigenvalues, descending */
  values: Float64Array;
  /** eigenvectors as rows, in the order of `values`, unit length */
  vectors: Float64Array[];
}

const MAX_SWEEPS = 60;

function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q] as number;
  const app = a[p * n + p] as number;
  const aqq = a[q * n + q] as number;
  const theta = (aqq - app) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p] as number;
    const akq = a[k * n + q] as number;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k] as number;
    const aqk = a[q * n + k] as number;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p] as number;
    const vkq = v[k * n + q] as number;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

/** `matrix` is n×n row-major and symmetric; it is not modified. */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += (a[i] as number) ** 2;
  const tiny = 1e-22 * scale;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off <= tiny) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) if (Math.abs(a[p * n + q] as number) > 1e-300) rotate(a, v, n, p, q);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => (a[j * n + j] as number) - (a[i * n + i] as number),
  );
  return {
    values: Float64Array.from(order, (i) => a[i * n + i] as number),
    vectors: order.map((j) => Float64Array.from({ length: n }, (_, k) => v[k * n + j] as number)),
  };
}
