import { describe, expect, it } from 'vitest';
import { emaSmooth, hysteresisEvents, openMask } from './smoothing.js';

describe('EMA and hysteresis', () => {
  it('EMA starts at the first score and weights the newest by alpha', () => {
    expect(Array.from(emaSmooth([2, 4, 4], 0.5))).toEqual([2, 3, 3.5]);
    expect(Array.from(emaSmooth([1, 9], 1))).toEqual([1, 9]);
  });

  it('opens after openAfterMs above, closes after closeAfterMs at or below; a short blip opens nothing', () => {
    const ts = Array.from({ length: 20 }, (_, i) => i * 1000);
    const s = [0, 0, 5, 0, 0, 5, 5, 5, 5, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const events = hysteresisEvents(ts, s, 1, { alpha: 1, openAfterMs: 1000, closeAfterMs: 3000 });
    expect(events).toEqual([{ firstAbove: 5000, openedAt: 6000, closedAt: 14000, peak: 5 }]);
    expect(Array.from(openMask(ts, events)).join('')).toBe('00000011111111000000');
  });

  it('an event still open at the end has no closedAt', () => {
    const events = hysteresisEvents([0, 1, 2], [3, 3, 3], 1, { alpha: 1, openAfterMs: 0, closeAfterMs: 0 });
    expect(events).toEqual([{ firstAbove: 0, openedAt: 0, peak: 3 }]);
  });
});
