import { TrainerError } from '../errors.js';
import { SeededRandom } from '../anomaly/random.js';

/**
 * Stratified split: in every class, a seeded `valSplit` share (at least one sample, at most all
 * but one) goes to validation, so every class is trained on and validated.
 */
export function stratifiedSplit(
  labels: Int32Array,
  classes: number,
  valSplit: number,
  seed: number,
): { train: number[]; val: number[] } {
  if (!(valSplit > 0 && valSplit < 1))
    throw new TrainerError('BAD_ARGUMENT', `--val-split must be in (0, 1), got ${valSplit}`);
  const rng = new SeededRandom(seed);
  const train: number[] = [];
  const val: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members = labels.reduce<number[]>((acc, l, i) => (l === c ? (acc.push(i), acc) : acc), []);
    const picked = new Set(
      rng
        .sample(members.length, Math.min(members.length - 1, Math.max(1, Math.round(members.length * valSplit))))
        .map((j) => members[j] as number),
    );
    for (const i of members) (picked.has(i) ? val : train).push(i);
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}

/** Gathers samples `idx` (each `per` floats) into one array. */
export function gather(x: Float32Array, per: number, idx: number[]): Float32Array {
  const out = new Float32Array(idx.length * per);
  idx.forEach((i, j) => out.set(x.subarray(i * per, (i + 1) * per), j * per));
  return out;
}

/** Class weights N / (C · n_c): rare classes count as much as common ones in the loss. */
export function classWeights(labels: ArrayLike<number>, classes: number): Record<number, number> {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i] as number] = (counts[labels[i] as number] as number) + 1;
  return Object.fromEntries(counts.map((n, c) => [c, n > 0 ? labels.length / (classes * n) : 0]));
}
