import { describe, expect, it } from 'vitest';
import { resample } from './resample.js';

describe('resample', () => {
  it('keeps the end points and interpolates linearly between samples', () => {
    expect([...resample(Float64Array.from([0, 10]), 5)]).toEqual([0, 2.5, 5, 7.5, 10]);
    expect([...resample(Float64Array.from([0, 1, 4, 9]), 4)]).toEqual([0, 1, 4, 9]);
  });
  it('down-samples by picking interpolated points over the same span', () => {
    expect([...resample(Float64Array.from([0, 1, 2, 3, 4]), 3)]).toEqual([0, 2, 4]);
  });
  it('handles empty and single-sample inputs', () => {
    expect([...resample(new Float64Array(0), 3)]).toEqual([0, 0, 0]);
    expect([...resample(Float64Array.from([7]), 3)]).toEqual([7, 7, 7]);
  });
});
