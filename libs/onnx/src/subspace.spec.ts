import { describe, expect, it } from 'vitest';
import { OnnxExportError } from './errors.js';
import { subspaceScore, subspaceToOnnx, type SubspaceParams } from './subspace.js';
import { ort, runOnnx, seededNormal } from './testing/helpers.js';

/** q orthonormal directions in F dimensions (Gram–Schmidt of seeded normals). */
function orthonormal(q: number, f: number, r: () => number): number[][] {
  const out: number[][] = [];
  while (out.length < q) {
    const v = Array.from({ length: f }, r);
    for (const b of out) {
      const d = b.reduce((a, x, i) => a + x * (v[i] as number), 0);
      b.forEach((x, i) => (v[i] = (v[i] as number) - d * x));
    }
    const n = Math.hypot(...v);
    out.push(v.map((x) => x / n));
  }
  return out;
}

function params(k: number, q: number, f: number, seed: number): SubspaceParams {
  const r = seededNormal(seed);
  return {
    center: Array.from({ length: f }, () => r() * 10),
    scale: Array.from({ length: f }, () => 0.1 + Math.abs(r()) * 5),
    basis: orthonormal(q, f, r),
    variance: Array.from({ length: q }, (_, j) => 4 / (j + 1)),
    centroids: Array.from({ length: k }, (_, j) =>
      j === 0 ? Array<number>(q).fill(0) : Array.from({ length: q }, () => r()),
    ),
    limits: { t2: 1 + Math.abs(r()) * 10, spe: 1 + Math.abs(r()) * 5 },
  };
}

describe('subspaceToOnnx', () => {
  it.each([
    [1, 1, 1, 1],
    [1, 2, 5, 2],
    [4, 3, 8, 3],
    [3, 16, 52, 4],
    [2, 6, 6, 5],
  ])('matches the TypeScript reference to 1e-4 relative (k=%i, q=%i, F=%i)', async (k, q, f, seed) => {
    const p = params(k, q, f, seed);
    const r = seededNormal(seed + 100);
    const n = 48;
    const rows = Array.from({ length: n }, (_, i) =>
      p.center.map((c, j) => c + r() * (p.scale[j] as number) * (i % 3 === 0 ? 0.01 : i % 3 === 1 ? 1 : 6)),
    );
    const out = await runOnnx(subspaceToOnnx(p), {
      features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [n, f]),
    });
    expect(out['score']?.dims).toEqual([n]);
    expect(out['cluster']?.type).toBe('int64');
    const scores = out['score']?.data as Float32Array;
    const clusters = out['cluster']?.data as BigInt64Array;
    rows.forEach((row, i) => {
      const ref = subspaceScore(p, Float32Array.from(row));
      expect(Math.abs((scores[i] as number) - ref.score)).toBeLessThanOrEqual(1e-4 * Math.max(1, ref.score));
      expect(Number(clusters[i])).toBe(ref.cluster);
    });
  });

  it('splits a row into T² along the basis and SPE off it', async () => {
    // F = 2, basis = x axis with variance 4: (2, 0) → T² = 1, (0, 3) → SPE = 9
    const p: SubspaceParams = {
      center: [0, 0],
      scale: [1, 1],
      basis: [[1, 0]],
      variance: [4],
      centroids: [[0]],
      limits: { t2: 2, spe: 3 },
    };
    const out = await runOnnx(subspaceToOnnx(p), {
      features: new ort.Tensor('float32', Float32Array.from([2, 0, 0, 3, 2, 3]), [3, 2]),
    });
    expect(Array.from(out['score']?.data as Float32Array)).toEqual([0.5, 3, 3.5]);
  });

  it.each([
    ['no basis', { basis: [] }],
    ['basis wider than the features', { basis: [[1, 0, 0]] }],
    ['variance of zero', { variance: [0] }],
    ['centroid of the wrong width', { centroids: [[0, 0]] }],
    ['limit of zero', { limits: { t2: 0, spe: 1 } }],
    ['NaN center', { center: [Number.NaN, 0] }],
  ])('BAD INPUT - %s → INVALID_PARAMS', (_name, patch) => {
    const p = {
      center: [0, 0],
      scale: [1, 1],
      basis: [[1, 0]],
      variance: [1],
      centroids: [[0]],
      limits: { t2: 1, spe: 1 },
      ...patch,
    };
    expect(() => subspaceToOnnx(p)).toThrow(
      expect.objectContaining({ name: 'OnnxExportError', code: 'INVALID_PARAMS' }) as OnnxExportError,
    );
  });
});
