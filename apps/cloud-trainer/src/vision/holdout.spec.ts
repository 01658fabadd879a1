import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashHoldout, holdoutPosition } from './holdout.js';

const h = (name: string) => Number.parseInt(createHash('sha256').update(name).digest('hex').slice(0, 8), 16);

describe('hashHoldout', () => {
  const files = Array.from({ length: 500 }, (_, i) => `images/part_${i}.jpg`);

  it('share 0.3 holds out exactly the files whose sha256(basename)[0:8] mod 10 < 3, whatever the folder', () => {
    const { train, test } = hashHoldout(files, 0.3);
    expect(test).toEqual(files.flatMap((f, i) => (h(f.slice('images/'.length)) % 10 < 3 ? [i] : [])));
    expect(train.length + test.length).toBe(files.length);
    expect(
      hashHoldout(
        files.map((f) => f.replace('images/', 'other/dir/')),
        0.3,
      ).test,
    ).toEqual(test);
  });

  it('is uniform and nested: a larger share keeps every file a smaller share held out', () => {
    const p = files.map(holdoutPosition);
    expect(p.every((u) => u >= 0 && u < 1)).toBe(true);
    const small = new Set(hashHoldout(files, 0.2).test);
    const large = new Set(hashHoldout(files, 0.45).test);
    expect([...small].every((i) => large.has(i))).toBe(true);
    expect(large.size / files.length).toBeGreaterThan(0.38);
    expect(large.size / files.length).toBeLessThan(0.52);
  });

  it('BAD CALL - share outside (0, 1) throws RangeError', () => {
    expect(() => hashHoldout(files, 1)).toThrow(RangeError);
    expect(() => hashHoldout(files, 0)).toThrow(RangeError);
  });
});
