import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/**
 * Where a file falls in [0, 1), from its name alone: h = the first 8 hex digits of
 * SHA-256(basename) as an unsigned integer, and u = 0.d₀d₁d₂… its decimal digits from the lowest
 * (d₀ = h mod 10, d₁ = ⌊h/10⌋ mod 10, …). u is uniform, and u < 0.3 exactly when h mod 10 < 3.
 */
export function holdoutPosition(file: string): number {
  let h = Number.parseInt(createHash('sha256').update(basename(file)).digest('hex').slice(0, 8), 16);
  let u = 0;
  for (let scale = 0.1; h > 0 && scale > 1e-12; scale /= 10) {
    u += (h % 10) * scale;
    h = Math.floor(h / 10);
  }
  return u;
}

/**
 * Held-out test split by file name: a file is test data when `holdoutPosition(file) < share`
 * (share 0.3: h mod 10 < 3). The split is stable — it does not depend on which other files exist,
 * their order or a seed — so a file never moves between training and test as the set grows, and
 * anyone can recompute it.
 */
export function hashHoldout(files: string[], share: number): { train: number[]; test: number[] } {
  if (!(share > 0 && share < 1)) throw new RangeError(`holdout share must be in (0, 1), got ${share}`);
  const train: number[] = [];
  const test: number[] = [];
  files.forEach((f, i) => (holdoutPosition(f) < share ? test : train).push(i));
  return { train, test };
}
