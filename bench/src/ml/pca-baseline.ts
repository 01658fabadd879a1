/**
 * The naive peer, written independently of the trainer (power iteration with deflation, not its
 * Jacobi solver): standardise, keep the components that hold 90 % of the variance, flag a row when
 * T² or SPE exceeds its 99th percentile on the training rows — the textbook monitor, with
 * in-sample limits and no smoothing.
 */
export function pcaBaseline(train: number[][], varianceKept = 0.9): (rows: number[][]) => Uint8Array {
  const f = (train[0] as number[]).length;
  const mu = Array.from({ length: f }, (_, j) => train.reduce((a, r) => a + (r[j] as number), 0) / train.length);
  const sd = Array.from(
    { length: f },
    (_, j) =>
      Math.sqrt(train.reduce((a, r) => a + ((r[j] as number) - (mu[j] as number)) ** 2, 0) / (train.length - 1)) || 1,
  );
  const z = (r: number[]) => r.map((v, j) => (v - (mu[j] as number)) / (sd[j] as number));
  const zs = train.map(z);
  const cov = Array.from({ length: f }, (_, i) =>
    Array.from(
      { length: f },
      (_, j) => zs.reduce((a, r) => a + (r[i] as number) * (r[j] as number), 0) / (zs.length - 1),
    ),
  );
  const total = cov.reduce((a, r, i) => a + (r[i] as number), 0);
  const pcs: { v: number[]; lambda: number }[] = [];
  let held = 0;
  while (held < varianceKept * total && pcs.length < f) {
    let v = Array.from({ length: f }, (_, i) => Math.sin(i + 1 + pcs.length));
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = cov.map((row) => row.reduce((a, c, j) => a + c * (v[j] as number), 0));
      const n = Math.hypot(...w) || 1;
      lambda = n;
      v = w.map((x) => x / n);
    }
    pcs.push({ v, lambda });
    held += lambda;
    for (let i = 0; i < f; i++)
      for (let j = 0; j < f; j++)
        (cov[i] as number[])[j] = ((cov[i] as number[])[j] as number) - lambda * (v[i] as number) * (v[j] as number);
  }
  const stats = (r: number[]) => {
    const x = z(r);
    const s = pcs.map((p) => p.v.reduce((a, c, j) => a + c * (x[j] as number), 0));
    const t2 = s.reduce((a, v, k) => a + v ** 2 / (pcs[k] as { lambda: number }).lambda, 0);
    const spe = x.reduce(
      (a, v, j) => a + (v - s.reduce((b, sk, k) => b + sk * ((pcs[k] as { v: number[] }).v[j] as number), 0)) ** 2,
      0,
    );
    return [t2, spe] as const;
  };
  const q99 = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(0.99 * (v.length - 1))] as number;
  const train2 = train.map(stats);
  const lt = q99(train2.map((s) => s[0]));
  const ls = q99(train2.map((s) => s[1]));
  return (rows) => Uint8Array.from(rows.map(stats), ([t2, spe]) => (t2 > lt || spe > ls ? 1 : 0));
}
