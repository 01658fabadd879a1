import type { FeatureQuery } from './store.js';
import type { AnomalyEventRow, FeatureRow, LabelRow } from './rows.js';

export interface TrainingWindowsQuery extends FeatureQuery {
  /** labels that mark a window as normal; default `healthy`, `ok`, `normal`, `false-alarm` */
  healthyLabels?: string[];
}

export interface LabelledWindow extends FeatureRow {
  label: string;
  labelId: string;
}

export interface TrainingWindows {
  /** windows labelled healthy, or unlabelled and outside every anomaly event */
  healthy: FeatureRow[];
  /** every window a label covers, with the newest covering label */
  labelled: LabelledWindow[];
  /** unlabelled windows inside an anomaly event: neither healthy nor confirmed faulty */
  unconfirmed: FeatureRow[];
}

export const DEFAULT_HEALTHY_LABELS = ['healthy', 'ok', 'normal', 'false-alarm'];

interface Span {
  device: string;
  from: number;
  to: number;
}

/** Event spans by event id: open..close (or open..forever while still open). */
function eventSpans(events: AnomalyEventRow[]): Map<string, Span> {
  const byId = new Map<string, Span>();
  for (const e of events) {
    const span = byId.get(e.eventId) ?? { device: e.deviceId, from: e.openedAt, to: Number.MAX_SAFE_INTEGER };
    if (e.state === 'close') span.to = e.closedAt ?? e.ts;
    byId.set(e.eventId, span);
  }
  return byId;
}

/** A label's time span: its own range (`window` labels) or the span of the event it names. */
function labelSpan(label: LabelRow, events: Map<string, Span>): Span | undefined {
  if (label.target === 'window') {
    return label.from === undefined || label.to === undefined
      ? undefined
      : { device: label.deviceId, from: label.from, to: label.to };
  }
  return label.target === 'anomaly' && label.refId !== undefined ? events.get(label.refId) : undefined;
}

const overlaps = (w: FeatureRow, s: Span) =>
  s.device === w.deviceId && (w.windowStart ?? w.ts) <= s.to && w.ts >= s.from;

/**
 * Splits feature windows for training: a window covered by a label takes the newest such label
 * (healthy labels count as healthy); an unlabelled window is healthy unless an anomaly event
 * covers it, in which case it is unconfirmed.
 */
export function splitTrainingWindows(
  windows: FeatureRow[],
  labels: LabelRow[],
  events: AnomalyEventRow[],
  healthyLabels = DEFAULT_HEALTHY_LABELS,
): TrainingWindows {
  const spans = eventSpans(events);
  const labelled = [...labels]
    .sort((a, b) => b.ts - a.ts)
    .flatMap((l) => {
      const span = labelSpan(l, spans);
      return span ? [{ label: l, span }] : [];
    });
  const healthy = new Set(healthyLabels);
  const out: TrainingWindows = { healthy: [], labelled: [], unconfirmed: [] };
  for (const w of windows) {
    const hit = labelled.find((l) => overlaps(w, l.span));
    if (hit) {
      out.labelled.push({ ...w, label: hit.label.label, labelId: hit.label.labelId });
      if (healthy.has(hit.label.label)) out.healthy.push(w);
    } else if ([...spans.values()].some((s) => overlaps(w, s))) out.unconfirmed.push(w);
    else out.healthy.push(w);
  }
  return out;
}
