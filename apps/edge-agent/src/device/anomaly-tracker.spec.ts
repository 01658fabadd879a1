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

  it('BAD CLOCK - a plant clock stepped back an hour while the score is high does not hold the event shut until the clock catches up', () => {
    const t = new AnomalyTracker({ alpha: 1, threshold: 2, openAfterMs: 1000, closeAfterMs: 1000 });
    const t0 = 1_767_225_600_000;
    const before = [t0, t0 + 500].map((at) => t.update(5, at).transition);
    const back = t0 - 3_600_000;
    const after = [0, 1, 2, 3].map((k) => t.update(5, back + k * 500).transition);
    expect([...before, ...after].filter(Boolean).map((x) => [x?.state, x?.openedAt])).toEqual([['open', back]]); // 1000 ms above: 500 before the jump, the jump counted as one 500 ms step
  });

  it('BAD CLOCK - a clock stepped forward a day counts as one window step: no event opens on a single high window', () => {
    const t = new AnomalyTracker({ alpha: 1, threshold: 2, openAfterMs: 1000, closeAfterMs: 1000 });
    const t0 = 1_767_225_600_000;
    t.update(1, t0);
    expect(t.update(5, t0 + 500).transition).toBeUndefined();
    expect(t.update(5, t0 + 86_400_000).transition).toBeUndefined();
  });
});
