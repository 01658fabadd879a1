import { describe, expect, it } from 'vitest';
import { fitKmeans } from './kmeans.js';
import { matrixFromRows, type Matrix } from './matrix.js';
import { SeededRandom } from './random.js';
import { selectK, silhouette } from './select-k.js';
import { applyScaling, fitRobustScaling } from './scaling.js';

/** `perBlob` points around each centre, Gaussian-ish noise of σ `spread`. */
function blobs(centres: number[][], perBlob: number, spread: number, seed = 7): Matrix {
  const rng = new SeededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const rows: number[][] = [];
  for (const c of centres) for (let i = 0; i < perBlob; i++) rows.push(c.map((v) => v + spread * gauss()));
  return matrixFromRows(rows);
}

describe('k-means', () => {
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
    [10, 10],
  ];

  it('finds well-separated blobs and is deterministic for a seed', () => {
    const m = blobs(centres, 50, 0.5);
    const a = fitKmeans(m, { k: 4, seed: 3 });
    const b = fitKmeans(m, { k: 4, seed: 3 });
    expect(Array.from(a.centroids.data)).toEqual(Array.from(b.centroids.data));
    const found = Array.from({ length: 4 }, (_, k) => [
      a.centroids.data[2 * k] as number,
      a.centroids.data[2 * k + 1] as number,
    ]);
    for (const c of centres)
      expect(
        Math.min(
          ...found.map((f) => Math.hypot((f[0] as number) - (c[0] as number), (f[1] as number) - (c[1] as number))),
        ),
      ).toBeLessThan(0.3);
    expect(a.inertia / m.rows).toBeLessThan(0.7);
  });

  it('more restarts never end with a worse inertia', () => {
    const m = blobs([...centres, [5, 5], [20, 3]], 30, 1.5);
    const one = fitKmeans(m, { k: 6, restarts: 1, seed: 11 });
    const many = fitKmeans(m, { k: 6, restarts: 8, seed: 11 });
    expect(many.inertia).toBeLessThanOrEqual(one.inertia);
  });

  it('chooses k by silhouette: 4 blobs give k = 4, 3 blobs give k = 3', () => {
    expect(selectK(blobs(centres, 60, 0.6), { minK: 2, maxK: 7, seed: 5 }).k).toBe(4);
    const three = selectK(blobs(centres.slice(0, 3), 60, 0.6), { minK: 2, maxK: 7, seed: 5 });
    expect(three.k).toBe(3);
    expect(three.silhouettes[3]).toBeGreaterThan(three.silhouettes[6] as number);
  });

  it('silhouette is near 1 for tight far clusters and near 0 for one blob split arbitrarily', () => {
    const tight = blobs(centres.slice(0, 2), 40, 0.01);
    const tightFit = fitKmeans(tight, { k: 2 });
    expect(silhouette(tight, tightFit.labels, 2)).toBeGreaterThan(0.99);
    const one = blobs([[0, 0]], 200, 1);
    expect(silhouette(one, fitKmeans(one, { k: 2 }).labels, 2)).toBeLessThan(0.5);
  });

  it('BAD INPUT - fewer rows than clusters names both counts', () => {
    expect(() => fitKmeans(matrixFromRows([[1], [2]]), { k: 3 })).toThrow(
      expect.objectContaining({
        code: 'TOO_FEW_ROWS',
        message: expect.stringContaining('2 rows cannot form 3 clusters'),
      }),
    );
    expect(() => selectK(matrixFromRows([[1], [2]]), { minK: 2 })).toThrow(
      expect.objectContaining({ code: 'TOO_FEW_ROWS' }),
    );
  });
});

describe('robust scaling', () => {
  it('centres on the median and scales by IQR/1.349, unmoved by an outlier', () => {
    const m = matrixFromRows([[1], [2], [3], [4], [5], [1e6]]);
    const s = fitRobustScaling(m, ['x']);
    expect(s.center[0]).toBeCloseTo(3.5);
    expect(s.scale[0]).toBeCloseTo((4.75 - 2.25) / 1.349);
    expect(applyScaling(m, s).data[2]).toBeCloseTo(-0.5 / (2.5 / 1.349));
  });

  it('falls back to σ when the IQR is 0 but the column varies', () => {
    const s = fitRobustScaling(matrixFromRows([[0], [0], [0], [0], [0], [0], [0], [6]]), ['band']);
    expect(s.center[0]).toBe(0);
    expect(s.scale[0]).toBeGreaterThan(1.5);
  });

  it('BAD INPUT - a constant column is refused by name, or dropped when asked', () => {
    const m = matrixFromRows([
      [1, 5],
      [2, 5],
      [3, 5],
    ]);
    expect(() => fitRobustScaling(m, ['a', 'b'])).toThrow(
      expect.objectContaining({ code: 'CONSTANT_COLUMN', message: expect.stringContaining('column "b"') }),
    );
    const s = fitRobustScaling(m, ['a', 'b'], { constantColumns: 'drop' });
    expect(s.kept).toEqual([0]);
    expect(s.dropped).toEqual(['b']);
    expect(applyScaling(m, s).cols).toBe(1);
  });
});
