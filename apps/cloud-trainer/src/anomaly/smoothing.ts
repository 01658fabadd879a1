/** Manifest `smoothing`: EMA weight and hysteresis times, as the edge applies them. */
export interface SmoothingSpec {
  /** EMA weight of the newest score, (0, 1] */
  alpha: number;
  /** ms the smoothed score must stay above the threshold before an event opens */
  openAfterMs: number;
  /** ms it must stay at or below before the event closes */
  closeAfterMs: number;
}

/** EMA of a score series in time order: s₀ = x₀, sₜ = α·xₜ + (1−α)·sₜ₋₁. */
export function emaSmooth(scores: ArrayLike<number>, alpha: number): Float64Array {
  const out = new Float64Array(scores.length);
  let s = NaN;
  for (let i = 0; i < scores.length; i++) {
    const x = scores[i] as number;
    s = i === 0 ? x : alpha * x + (1 - alpha) * s;
    out[i] = s;
  }
  return out;
}

export interface AnomalyEventSpan {
  /** ts at which the event opened (the sample that completed `openAfterMs`) */
  openedAt: number;
  /** ts at which it closed; undefined while still open at the end of the series */
  closedAt?: number;
  /** ts the smoothed score first crossed the threshold for this event */
  firstAbove: number;
  peak: number;
}

/**
 * Hysteresis over a smoothed series: an event opens once the smoothed score has stayed above
 * `threshold` for `openAfterMs`, and closes once it has stayed at or below it for `closeAfterMs`.
 * `ts` are the sample times (window ends), ascending, ms.
 */
export function hysteresisEvents(
  ts: ArrayLike<number>,
  smoothed: ArrayLike<number>,
  threshold: number,
  spec: SmoothingSpec,
): AnomalyEventSpan[] {
  const events: AnomalyEventSpan[] = [];
  let aboveSince: number | undefined;
  let belowSince: number | undefined;
  let open: AnomalyEventSpan | undefined;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as number;
    const s = smoothed[i] as number;
    const above = s > threshold;
    if (!open) {
      if (!above) aboveSince = undefined;
      else {
        aboveSince ??= t;
        if (t - aboveSince >= spec.openAfterMs) {
          open = { openedAt: t, firstAbove: aboveSince, peak: s };
          events.push(open);
          belowSince = undefined;
        }
      }
      continue;
    }
    open.peak = Math.max(open.peak, s);
    if (above) belowSince = undefined;
    else {
      belowSince ??= t;
      if (t - belowSince >= spec.closeAfterMs) {
        open.closedAt = t;
        open = undefined;
        aboveSince = undefined;
      }
    }
  }
  return events;
}

/** 1 where an event is open at that sample, else 0 (the `anomaly` column of `anomaly score`). */
export function openMask(ts: ArrayLike<number>, events: AnomalyEventSpan[]): Uint8Array {
  const mask = new Uint8Array(ts.length);
  for (const e of events) {
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i] as number;
      if (t >= e.openedAt && (e.closedAt === undefined || t < e.closedAt)) mask[i] = 1;
    }
  }
  return mask;
}
