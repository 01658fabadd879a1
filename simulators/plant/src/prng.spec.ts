import { describe, expect, it } from 'vitest';
import { Rng } from './prng.js';

describe('Rng', () => {
  it('is deterministic per seed and purpose, and different across them', () => {
    const draw = (r: Rng) => Array.from({ length: 5 }, () => r.nextUint32());
    expect(draw(new Rng(1, 'a'))).toEqual(draw(new Rng(1, 'a')));
    expect(draw(new Rng(1, 'a'))).not.toEqual(draw(new Rng(2, 'a')));
    expect(draw(new Rng(1, 'a'))).not.toEqual(draw(new Rng(1, 'b')));
  });

  it('gives uniform and normal draws with the right moments', () => {
    const r = new Rng(42);
    const n = 50_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });
});
