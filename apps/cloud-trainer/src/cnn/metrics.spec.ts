import { describe, expect, it } from 'vitest';
import { classificationReport, toGoodDefect } from './metrics.js';

describe('classificationReport', () => {
  it('computes accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix', () => {
    // truth 0 0 0 1 1 2; predicted 0 0 1 1 2 2
    const r = classificationReport([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
    expect(r.accuracy).toBeCloseTo(4 / 6);
    expect(r.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(r.precision).toEqual([1, 0.5, 0.5]);
    expect(r.recall.map((v) => Number(v.toFixed(4)))).toEqual([0.6667, 0.5, 1]);
    expect(r.f1[0]).toBeCloseTo(0.8);
    expect(r.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3);
  });

  it('a class never predicted has precision 0, not NaN; collapses to good/defect around the good class', () => {
    const r = classificationReport([0, 1], [0, 0], 2);
    expect(r.precision[1]).toBe(0);
    expect(Array.from(toGoodDefect([2, 0, 1, 2], 2))).toEqual([0, 1, 1, 0]);
  });

  it('BAD CALL - different lengths throw RangeError', () => {
    expect(() => classificationReport([0], [0, 1], 2)).toThrow(RangeError);
  });
});
