import { describe, expect, it } from 'vitest';
import { OnnxExportError } from './errors.js';
import { kmeansScore, kmeansToOnnx, type KmeansParams } from './kmeans.js';
import { onnx } from './proto.js';
import { ort, runOnnx, seededNormal } from './testing/helpers.js';

function params(k: number, f: number, seed: number): KmeansParams {
  const r = seededNormal(seed);
  return {
    centroids: Array.from({ length: k }, () => Array.from({ length: f }, () => r() * 3)),
    center: Array.from({ length: f }, () => r() * 10),
    scale: Array.from({ length: f }, () => 0.1 + Math.abs(r()) * 5),
  };
}

describe('kmeansToOnnx', () => {
  it.each([
    [1, 1, 1],
    [3, 4, 2],
    [8, 24, 3],
    [16, 64, 4],
  ])('matches the TypeScript reference to 1e-5 (k=%i, F=%i)', async (k, f, seed) => {
    const p = params(k, f, seed);
    const r = seededNormal(seed + 100);
    const n = 64;
    // rows around the scaled centroids (small scores, where sqrt is most sensitive) and far away
    const rows = Array.from({ length: n }, (_, i) => {
      const c = p.centroids[i % k] as number[];
      const spread = i % 4 === 0 ? 1e-3 : i % 4 === 1 ? 0.3 : 4;
      return c.map((v, j) => (v + r() * spread) * (p.scale[j] as number) + (p.center[j] as number));
    });
    const out = await runOnnx(kmeansToOnnx(p), {
      features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [n, f]),
    });
    expect(out['score']?.dims).toEqual([n]);
    expect(out['cluster']?.type).toBe('int64');
    const scores = out['score']?.data as Float32Array;
    const clusters = out['cluster']?.data as BigInt64Array;
    rows.forEach((row, i) => {
      // the reference reads the same float32-rounded inputs the graph sees
      const ref = kmeansScore(p, Float32Array.from(row));
      expect(Math.abs((scores[i] as number) - ref.score)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.score));
      expect(Number(clusters[i])).toBe(ref.cluster);
    });
  });

  it('scores a point on a centroid as 0 and names the input as asked', async () => {
    const p = {
      centroids: [
        [0, 0],
        [2, 2],
      ],
      center: [10, 20],
      scale: [2, 4],
      inputName: 'x',
    };
    const out = await runOnnx(kmeansToOnnx(p), {
      x: new ort.Tensor('float32', Float32Array.from([10, 20, 14, 28, 13, 20]), [3, 2]),
    });
    expect(Array.from(out['score']?.data as Float32Array)).toEqual([0, 0, 1.5]); // z = (1.5, 0): 1.5 from c0, √4.25 from c1;
    expect(Array.from(out['cluster']?.data as BigInt64Array)).toEqual([0n, 1n, 0n]);
  });

  it('declares [N, F] input and [N] outputs with a symbolic batch', () => {
    const m = onnx.ModelProto.decode(kmeansToOnnx(params(2, 3, 9)));
    expect(m.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue))).toEqual([
      'N',
      3,
    ]);
    expect(m.graph?.output?.map((o) => o.name)).toEqual(['score', 'cluster']);
  });

  it.each([
    ['no centroids', { centroids: [], center: [0], scale: [1] }],
    ['centroid of the wrong width', { centroids: [[0, 1]], center: [0], scale: [1] }],
    ['scale of zero', { centroids: [[0]], center: [0], scale: [0] }],
    ['NaN center', { centroids: [[0]], center: [Number.NaN], scale: [1] }],
    ['scale shorter than center', { centroids: [[0, 0]], center: [0, 0], scale: [1] }],
  ])('BAD INPUT - %s → INVALID_PARAMS', (_name, p) => {
    expect(() => kmeansToOnnx(p)).toThrow(
      expect.objectContaining({ name: 'OnnxExportError', code: 'INVALID_PARAMS' }) as OnnxExportError,
    );
  });
});
