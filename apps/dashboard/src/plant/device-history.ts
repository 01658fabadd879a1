import type { Columns, DeviceHistory } from '../api-types.js';
import { DashboardError } from '../http/errors.js';
import type { Alert } from './alert-book.js';
import type { Plant } from './plant.js';
import type { ScorePoint, TelemetryPoint } from './live-series.js';

export type { Columns, DeviceHistory } from '../api-types.js';

/** The part of `@takt/telemetry-store`'s `TelemetryStore` the charts read. */
export interface SeriesStore {
  querySeries(q: {
    device: string;
    measurement: 'telemetry' | 'features';
    fields?: string[];
    from: number;
    to: number;
    every?: string;
  }): Promise<{ ts: number; values: Record<string, number | null> }[]>;
  queryAnomalyEvents(q: {
    from: number;
    to: number;
    device?: string;
  }): Promise<{ deviceId: string; eventId: string; state: string; ts: number; openedAt?: number; closedAt?: number }[]>;
}

/** Bucket for a range: raw up to 1 h, 1-minute means up to 2 days, hourly means beyond. */
export function bucketFor(rangeMs: number): string | undefined {
  if (rangeMs <= 3_600_000) return undefined;
  if (rangeMs <= 2 * 86_400_000) return '1m';
  return '1h';
}

function columns<T extends { ts: number }>(
  points: T[],
  values: (p: T) => Record<string, number | null | undefined>,
): Columns {
  const names = new Set<string>();
  for (const p of points) for (const k of Object.keys(values(p))) names.add(k);
  const series: Record<string, (number | null)[]> = {};
  for (const n of [...names].sort()) series[n] = points.map((p) => values(p)[n] ?? null);
  return { ts: points.map((p) => p.ts), series };
}

const scoreValues = (p: ScorePoint) => ({ score: p.score, smoothed: p.smoothed });

function periods(alerts: Alert[]): DeviceHistory['anomalies'] {
  return alerts.map((a) =>
    a.closedAt === undefined
      ? { from: a.openedAt, eventId: a.eventId }
      : { from: a.openedAt, to: a.closedAt, eventId: a.eventId },
  );
}

/**
 * A device's chart data for [from, to]: from memory when the range lies within the live window
 * (or there is no store), else from InfluxDB, downsampled for long ranges.
 */
export async function deviceHistory(
  plant: Plant,
  store: SeriesStore | undefined,
  q: { device: string; from: number; to: number; now?: number },
): Promise<DeviceHistory> {
  const now = q.now ?? Date.now();
  const base = { deviceId: q.device, from: q.from, to: q.to };
  const threshold = plant.thresholds.get(q.device);
  const live = periods(plant.alerts.list({ device: q.device, from: q.from, to: q.to, limit: 1_000 }));
  const withThreshold = <T extends object>(h: T) => (threshold === undefined ? h : { ...h, threshold });
  if (!store || q.from >= now - plant.series.windowMs) {
    const tel: TelemetryPoint[] = plant.series.telemetry(q.device, q.from, q.to);
    return withThreshold({
      ...base,
      source: 'live' as const,
      telemetry: columns(tel, (p) => p.values),
      scores: columns(plant.series.scores(q.device, q.from, q.to), scoreValues),
      anomalies: live,
    });
  }
  const every = bucketFor(q.to - q.from);
  const range = { device: q.device, from: q.from, to: q.to, ...(every ? { every } : {}) };
  const [tel, feat, events] = await Promise.all([
    store.querySeries({ ...range, measurement: 'telemetry' }),
    store.querySeries({ ...range, measurement: 'features', fields: ['score', 'smoothed_score'] }),
    store.queryAnomalyEvents({ from: q.from, to: q.to, device: q.device }),
  ]).catch((err: unknown) => {
    throw new DashboardError('UNAVAILABLE', `history store unavailable: ${(err as Error).message}`);
  });
  const stored = new Map<string, DeviceHistory['anomalies'][number]>();
  for (const e of events) {
    const p = stored.get(e.eventId) ?? { from: e.openedAt ?? e.ts, eventId: e.eventId };
    if (e.state === 'close') p.to = e.closedAt ?? e.ts;
    stored.set(e.eventId, p);
  }
  for (const p of live) if (!stored.has(p.eventId)) stored.set(p.eventId, p);
  const scores = columns(feat, (p) => ({
    score: p.values['score'] ?? null,
    smoothed: p.values['smoothed_score'] ?? null,
  }));
  const telemetry = columns(tel, (p) => Object.fromEntries(Object.entries(p.values).filter(([k]) => k !== 'seq')));
  return withThreshold({
    ...base,
    source: 'influx' as const,
    ...(every ? { every } : {}),
    telemetry,
    scores,
    anomalies: [...stored.values()],
  });
}
