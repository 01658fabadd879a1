import type { ModelManifest } from '@takt/contracts';
import type { TruthFault } from '../raw/recording.js';
import type { AnomalyEventSpan } from './smoothing.js';

export interface DetectionReport {
  faults: number;
  /** faults with an event opened within `withinMs` of their start */
  detected: number;
  /** ms from fault start to event open, per detected fault */
  delaysMs: number[];
  /** events opened outside every fault (plus `graceMs` after its end) */
  falseAlarms: number;
  machineHours: number;
  missed: TruthFault[];
}

export interface DetectionOptions {
  /** a detection counts when the event opens at most this long after the fault starts; default 10_000 */
  withinMs?: number;
  /** an event opening this long after a fault ended still belongs to it (EMA decay, closeAfterMs); default 30_000 */
  graceMs?: number;
}

/**
 * Scores events against ground truth, the way the acceptance criterion reads: a fault is
 * detected when an event of its machine opens in [start, start + withinMs]; every other event that
 * opens outside a fault (and its grace period) is a false alarm.
 */
export function detectionReport(
  events: Map<string, AnomalyEventSpan[]>,
  truth: TruthFault[],
  span: { from: number; to: number },
  options: DetectionOptions = {},
): DetectionReport {
  const within = options.withinMs ?? 10_000;
  const grace = options.graceMs ?? 30_000;
  const faults = truth.filter((t) => events.has(t.machine) && t.start >= span.from && t.start < span.to);
  const delaysMs: number[] = [];
  const missed: TruthFault[] = [];
  for (const f of faults) {
    const hit = (events.get(f.machine) ?? []).find((e) => e.openedAt >= f.start && e.openedAt <= f.start + within);
    if (hit) delaysMs.push(hit.openedAt - f.start);
    else missed.push(f);
  }
  let falseAlarms = 0;
  for (const [machine, list] of events) {
    for (const e of list) {
      const explained = truth.some(
        (t) => t.machine === machine && e.openedAt >= t.start && e.openedAt <= t.end + grace,
      );
      if (!explained && e.openedAt >= span.from && e.openedAt < span.to) falseAlarms++;
    }
  }
  return {
    faults: faults.length,
    detected: delaysMs.length,
    delaysMs,
    falseAlarms,
    machineHours: (events.size * (span.to - span.from)) / 3_600_000,
    missed,
  };
}

/** A one-line summary for test output and benchmarks. */
export function describeReport(model: ModelManifest, r: DetectionReport): string {
  const p = (q: number) =>
    [...r.delaysMs].sort((a, b) => a - b)[Math.min(r.delaysMs.length - 1, Math.floor(q * r.delaysMs.length))] ?? NaN;
  return `${model.name}: k=${model.metrics['k']}, ${r.detected}/${r.faults} faults detected within 10 s (delay median ${(p(0.5) / 1000).toFixed(1)} s, max ${(Math.max(...r.delaysMs) / 1000).toFixed(1)} s), ${r.falseAlarms} false alarms in ${r.machineHours.toFixed(2)} machine-hours${r.missed.length ? `; missed ${r.missed.map((m) => `${m.machine}/${m.fault}`).join(', ')}` : ''}`;
}
