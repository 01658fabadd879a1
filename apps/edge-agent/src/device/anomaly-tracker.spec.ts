import { describe, expect, it } from 'vitest';
import { AnomalyTracker, type AnomalyTransition } from './anomaly-tracker.js';

const feed = (t: AnomalyTracker, scores: number[], stepMs = 500, t0 = 1_000_000): AnomalyTransition[] =>
  scores.flatMap((s, i) => t.update(s, t0 + i * stepMs).transition ?? []);

describe('AnomalyTracker', () => {
  it('opens once after the smoothed score stays above the threshold for openAfterMs, closes once after closeAfterMs below', () => {
    const t = new AnomalyTracker({ alpha: 1, threshold: 2, openAfterMs: 1000, closeAfterMs: 1500 });
    const scores = [1, 1, 5, 5, 5, 6, 5, 5, 1, 1, 1, 1, 1];
    const tr = feed(t, scores);
    expect(tr.map((x) => x.state)).toEqual(['open', 'close']);
    expect(tr[0].openedAt).toBe(1_000_000 + 4 * 500); // above from window 2, 1000 ms later
    expect(tr[1].closedAt).toBe(1_000_000 + 11 * 500); // below from window 8, 1500 ms later
    expect(tr[1].peakScore).toBe(6);
    expect(tr[1].eventId).toBe(tr[0].eventId);
  });

  it('does not open on a spike shorter than openAfterMs, and EMA smoothing damps it', () => {
    const t = new AnomalyTracker({ alpha: 0.3, threshold: 2, openAfterMs: 2000, closeAfterMs: 0 }); // EMA keeps the spike above 2 for 1 s
    expect(feed(t, [1, 1, 10, 1, 1, 1, 1])).toEqual([]);
    expect(t.smoothed).toBeLessThan(2);
  });

  it('a dip during an open event shorter than closeAfterMs keeps it open (no flapping)', () => {
    const t = new AnomalyTracker({ alpha: 1, threshold: 2, openAfterMs: 0, closeAfterMs: 2000 });
    const tr = feed(t, [5, 1, 5, 1, 1, 5, 5, 1, 1, 1, 1, 1]);
    expect(tr.map((x) => x.state)).toEqual(['open', 'close']);
  });

  it('BAD CALL - alpha outside (0, 1] is a RangeError', () => {
    expect(() => new AnomalyTracker({ alpha: 0, threshold: 1, openAfterMs: 0, closeAfterMs: 0 })).toThrow(RangeError);
  });
});
