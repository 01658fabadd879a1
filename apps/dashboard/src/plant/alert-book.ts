import type { AnomalyEvent, ModelRef } from '@takt/contracts';

export interface AlertNote {
  by: string;
  at: number;
  text: string;
}

/** One anomaly event as engineers work it: opened, closed, acknowledged, commented, labelled. */
export interface Alert {
  /** `${deviceId}/${eventId}` */
  id: string;
  deviceId: string;
  eventId: string;
  site: string;
  line: string;
  state: 'open' | 'closed';
  openedAt: number;
  closedAt?: number;
  score: number;
  peakScore: number;
  threshold: number;
  model: ModelRef;
  faultClass?: string;
  acknowledged?: { by: string; at: number };
  comments: AlertNote[];
  /** the engineer's verdict, also published as a `label` message */
  label?: { label: 'true-alarm' | 'false-alarm'; by: string; at: number; labelId: string };
}

export interface AlertFilter {
  state?: 'open' | 'closed';
  device?: string;
  from?: number;
  to?: number;
  limit: number;
}

/** Anomaly events seen on MQTT (or loaded from history), newest first, bounded in number. */
export class AlertBook {
  readonly #alerts = new Map<string, Alert>();

  constructor(private readonly maxAlerts = 5_000) {}

  /** Applies an `anomaly` message; returns the alert as it now stands. */
  apply(site: string, line: string, ev: AnomalyEvent): Alert {
    const id = `${ev.deviceId}/${ev.eventId}`;
    const prev = this.#alerts.get(id);
    const peak = Math.max(prev?.peakScore ?? ev.score, ev.peakScore ?? ev.score, ev.score);
    const alert: Alert = {
      comments: [],
      ...prev,
      id,
      deviceId: ev.deviceId,
      eventId: ev.eventId,
      site,
      line,
      state: ev.state === 'close' || prev?.state === 'closed' ? 'closed' : 'open',
      openedAt: ev.openedAt,
      score: ev.score,
      peakScore: peak,
      threshold: ev.threshold,
      model: ev.model,
    };
    const closedAt = ev.closedAt ?? (ev.state === 'close' ? ev.ts : prev?.closedAt);
    if (closedAt !== undefined) alert.closedAt = closedAt;
    if (ev.faultClass) alert.faultClass = ev.faultClass;
    this.#alerts.delete(id);
    this.#alerts.set(id, alert); // newest last in insertion order
    if (this.#alerts.size > this.maxAlerts) this.#evictClosed();
    return alert;
  }

  get(id: string): Alert | undefined {
    return this.#alerts.get(id);
  }

  openCount(deviceId: string): number {
    let n = 0;
    for (const a of this.#alerts.values()) if (a.deviceId === deviceId && a.state === 'open') n++;
    return n;
  }

  /** Open counts for every device in one pass (the overview). */
  openCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const a of this.#alerts.values()) if (a.state === 'open') counts.set(a.deviceId, (counts.get(a.deviceId) ?? 0) + 1);
    return counts;
  }

  list(f: AlertFilter): Alert[] {
    const out: Alert[] = [];
    const all = [...this.#alerts.values()].sort((a, b) => b.openedAt - a.openedAt);
    for (const a of all) {
      if (f.state && a.state !== f.state) continue;
      if (f.device && a.deviceId !== f.device) continue;
      if (f.from !== undefined && (a.closedAt ?? Infinity) < f.from) continue;
      if (f.to !== undefined && a.openedAt > f.to) continue;
      out.push(a);
      if (out.length >= f.limit) break;
    }
    return out;
  }

  acknowledge(id: string, by: string, at = Date.now()): Alert | undefined {
    const a = this.#alerts.get(id);
    if (a) a.acknowledged = { by, at };
    return a;
  }

  comment(id: string, note: AlertNote): Alert | undefined {
    const a = this.#alerts.get(id);
    if (a) a.comments = [...a.comments, note].slice(-100);
    return a;
  }

  setLabel(id: string, label: NonNullable<Alert['label']>): Alert | undefined {
    const a = this.#alerts.get(id);
    if (a) a.label = label;
    return a;
  }

  #evictClosed(): void {
    for (const [id, a] of this.#alerts) {
      if (this.#alerts.size <= this.maxAlerts) return;
      if (a.state === 'closed') this.#alerts.delete(id);
    }
  }
}
