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
  /** the engineer's verdict (`true-alarm`, `false-alarm` or a fault class), also published as a `label` message */
  label?: { label: string; by: string; at: number; labelId: string };
}

export interface AlertFilter {
  state?: 'open' | 'closed';
  device?: string;
  from?: number;
  to?: number;
  limit: number;
}

export interface AlertBookOptions {
  /** alerts kept at most per device; past it the device's least recently updated alert is dropped (a closed one first); required */
  maxPerDevice: number;
  /** alerts kept at most in all; past it the oldest closed alert goes first, then the oldest open one; required */
  maxTotal: number;
}

/**
 * Anomaly events seen on MQTT (or loaded from history), bounded per device and in all: one device
 * (or one compromised edge box flooding events for it) cannot push the rest of the plant's alerts out.
 * Dropped alerts are counted in `dropped`.
 */
export class AlertBook {
  /** every alert, least recently updated first */
  readonly #alerts = new Map<string, Alert>();
  /** each device's alert ids, least recently updated first */
  readonly #byDevice = new Map<string, Set<string>>();
  #dropped = 0;

  constructor(private readonly options: AlertBookOptions) {}

  /** alerts dropped so far to keep within the bounds */
  get dropped(): number {
    return this.#dropped;
  }

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
    const ids = this.#byDevice.get(ev.deviceId) ?? new Set<string>();
    ids.delete(id);
    ids.add(id);
    this.#byDevice.set(ev.deviceId, ids);
    if (ids.size > this.options.maxPerDevice) this.#drop(oldestOf(ids, this.#alerts, id));
    if (this.#alerts.size > this.options.maxTotal) this.#drop(oldestOf(this.#alerts.keys(), this.#alerts, id));
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
    for (const a of this.#alerts.values())
      if (a.state === 'open') counts.set(a.deviceId, (counts.get(a.deviceId) ?? 0) + 1);
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

  #drop(id: string | undefined): void {
    const a = id === undefined ? undefined : this.#alerts.get(id);
    if (!a) return;
    this.#alerts.delete(a.id);
    const ids = this.#byDevice.get(a.deviceId);
    ids?.delete(a.id);
    if (ids?.size === 0) this.#byDevice.delete(a.deviceId);
    this.#dropped++;
  }
}

/** The first closed alert among `ids` (least recently updated first), else the first one; never `keep` (the one just updated). */
function oldestOf(ids: Iterable<string>, alerts: Map<string, Alert>, keep: string): string | undefined {
  let first: string | undefined;
  for (const id of ids) {
    if (id === keep) continue;
    first ??= id;
    if (alerts.get(id)?.state === 'closed') return id;
  }
  return first;
}
