import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling per attempt up to the cap and draws the delay below it (full jitter)', () => {
    const top = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0.999999 });
    expect(Array.from({ length: 6 }, () => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    const half = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0.5 });
    expect(Array.from({ length: 3 }, () => half.next())).toEqual([50, 100, 200]);
  });

  it('starts again from the base after a reset', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0.5 });
    b.next();
    b.next();
    b.reset();
    expect(b.ceilingMs).toBe(100);
  });

  it('spreads a fleet: 1,000 agents that lost the broker together do not retry in step', () => {
    const firsts = Array.from({ length: 1_000 }, () => new Backoff({ baseMs: 1_000, maxMs: 30_000 }).next());
    const perTenth = new Array<number>(10).fill(0);
    for (const d of firsts) perTenth[Math.floor(d / 100)] = (perTenth[Math.floor(d / 100)] ?? 0) + 1;
    expect(Math.max(...perTenth)).toBeLessThan(200); // uniform would be 100 per 100 ms
  });

  it('BAD CALL - a zero base or a cap below it is a RangeError', () => {
    expect(() => new Backoff({ baseMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => new Backoff({ baseMs: 100, maxMs: 50 })).toThrow(RangeError);
  });
});
