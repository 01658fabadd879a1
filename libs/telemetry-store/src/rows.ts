import type { ActiveModel, ModelRef } from '@takt/contracts';
import type { InfluxSeries } from './influx-http.js';

/** Where a row came from: the device's address. */
export interface DeviceRow {
  deviceId: string;
  site: string;
  line: string;
  /** ms since epoch: the message `ts` */
  ts: number;
  seq: number;
}

export interface FeatureRow extends DeviceRow {
  features: Record<string, number>;
  score?: number;
  smoothedScore?: number;
  cluster?: number;
  windowStart?: number;
  model?: ModelRef;
}

export interface SeriesPoint {
  ts: number;
  values: Record<string, number | null>;
}

export interface AnomalyEventRow extends DeviceRow {
  eventId: string;
  state: 'open' | 'close';
  model: ModelRef;
  score: number;
  threshold: number;
  openedAt: number;
  closedAt?: number;
  peakScore?: number;
  faultClass?: string;
}

export interface LabelRow extends DeviceRow {
  labelId: string;
  target: 'anomaly' | 'inspection' | 'window' | 'evidence';
  refId?: string;
  label: string;
  by: string;
  comment?: string;
  from?: number;
  to?: number;
}

export interface InspectionRow extends DeviceRow {
  frameId: string;
  label: string;
  confidence: number;
  truth?: string;
  model: ModelRef;
  latencyMs?: number;
  scores?: Record<string, number>;
  /** base64 PNG preview, when the edge sent one */
  thumbnail?: string;
}

export interface DeviceStateRow extends DeviceRow {
  status: 'online' | 'offline' | 'degraded';
  provider?: string;
  outboxDepth: number;
  shed: number;
  models: ActiveModel[];
  lastError?: { code: string; message: string; at: number };
  rollout?: { rolloutId: string; name: string; version: number; status: string; reason?: string; at: number };
  agentVersion?: string;
}

export interface ModelEventRow {
  ts: number;
  kind: string;
  model: string;
  version: number;
  deviceId?: string;
  detail: Record<string, unknown>;
}

export type Row = Record<string, unknown>;

/** Flattens influxd series into row objects (series tags merged into each row). */
export function rowsOf(series: InfluxSeries[] | undefined): Row[] {
  const out: Row[] = [];
  for (const s of series ?? []) {
    for (const values of s.values) {
      const row: Row = { ...s.tags };
      for (let i = 0; i < s.columns.length; i++) row[s.columns[i] as string] = values[i];
      out.push(row);
    }
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const json = <T>(v: unknown): T | undefined => {
  if (typeof v !== 'string') return undefined;
  try {
    return JSON.parse(v) as T;
  } catch {
    return undefined;
  }
};
/** Copies only the defined entries, so optional fields stay absent rather than `undefined`. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function deviceRow(r: Row): DeviceRow {
  return {
    deviceId: String(r['device']),
    site: String(r['site']),
    line: String(r['line']),
    ts: Number(r['time']),
    seq: Number(r['seq'] ?? -1),
  };
}

const FEATURE_META = new Set([
  'time',
  'device',
  'site',
  'line',
  'model',
  'model_version',
  'seq',
  'score',
  'smoothed_score',
  'cluster',
  'window_start',
]);

export function featureRow(r: Row): FeatureRow {
  const features: Record<string, number> = {};
  for (const k in r) if (!FEATURE_META.has(k) && typeof r[k] === 'number') features[k] = r[k];
  const model = str(r['model']) ? { name: String(r['model']), version: Number(r['model_version']) } : undefined;
  return defined({
    ...deviceRow(r),
    features,
    score: num(r['score']),
    smoothedScore: num(r['smoothed_score']),
    cluster: num(r['cluster']),
    windowStart: num(r['window_start']),
    model,
  });
}

export function anomalyRow(r: Row): AnomalyEventRow {
  return defined({
    ...deviceRow(r),
    eventId: String(r['event_id']),
    state: r['state'] === 'close' ? 'close' : 'open',
    model: { name: String(r['model']), version: Number(r['model_version']) },
    score: Number(r['score']),
    threshold: Number(r['threshold']),
    openedAt: Number(r['opened_at']),
    closedAt: num(r['closed_at']),
    peakScore: num(r['peak_score']),
    faultClass: str(r['fault_class']),
  });
}

export function labelRow(r: Row): LabelRow {
  const target =
    r['target'] === 'inspection' || r['target'] === 'window' || r['target'] === 'evidence' ? r['target'] : 'anomaly';
  return defined({
    ...deviceRow(r),
    labelId: String(r['label_id']),
    target,
    refId: str(r['ref_id']),
    label: String(r['label']),
    by: String(r['by']),
    comment: str(r['comment']),
    from: num(r['from']),
    to: num(r['to']),
  });
}

export function inspectionRow(r: Row): InspectionRow {
  return defined({
    ...deviceRow(r),
    frameId: String(r['frame_id']),
    label: String(r['label']),
    confidence: Number(r['confidence']),
    truth: str(r['truth']),
    model: { name: String(r['model']), version: Number(r['model_version']) },
    latencyMs: num(r['latency_ms']),
    scores: json<Record<string, number>>(r['scores']),
    thumbnail: str(r['thumbnail']),
  });
}

export function stateRow(r: Row): DeviceStateRow {
  const status = r['status'] === 'offline' || r['status'] === 'degraded' ? r['status'] : 'online';
  return defined({
    ...deviceRow(r),
    status,
    provider: str(r['provider']),
    outboxDepth: Number(r['outbox_depth'] ?? 0),
    shed: Number(r['shed'] ?? 0),
    models: json<ActiveModel[]>(r['models']) ?? [],
    lastError: json<DeviceStateRow['lastError']>(r['last_error']),
    rollout: json<DeviceStateRow['rollout']>(r['rollout']),
    agentVersion: str(r['agent_version']),
  });
}

export function modelEventRow(r: Row): ModelEventRow {
  return defined({
    ts: Number(r['time']),
    kind: String(r['kind']),
    model: String(r['model']),
    version: Number(r['version']),
    deviceId: str(r['device']),
    detail: json<Record<string, unknown>>(r['detail']) ?? {},
  });
}
