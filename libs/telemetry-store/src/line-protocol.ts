import { isPublishOn, type Channel, type DecodedPublish, type MessageOf } from '@takt/contracts';
import { StoreError } from './errors.js';

/** The measurement each stored channel lands in. Channels not listed here are not stored. */
export const MEASUREMENT_OF = {
  telemetry: 'telemetry',
  features: 'features',
  anomaly: 'anomaly_events',
  inspection: 'inspections',
  state: 'device_state',
  heartbeat: 'heartbeats',
  label: 'labels',
  evidence: 'evidence',
  truth: 'fault_truth',
} as const satisfies Partial<Record<Channel, string>>;

export type StoredChannel = keyof typeof MEASUREMENT_OF;
export const STORED_CHANNELS = Object.keys(MEASUREMENT_OF) as StoredChannel[];
export const MODEL_EVENTS_MEASUREMENT = 'model_events';

export function isStoredChannel(channel: string): channel is StoredChannel {
  return Object.hasOwn(MEASUREMENT_OF, channel);
}

/** Field names the store writes itself; a sensor or feature may not use them. */
const TAG_NAMES = ['time', 'site', 'line', 'device', 'model', 'model_version'];
export const RESERVED = {
  telemetry: new Set([...TAG_NAMES, 'seq', 'interval_ms']),
  features: new Set([...TAG_NAMES, 'seq', 'score', 'smoothed_score', 'cluster', 'window_start']),
};

/** Escapes a tag key or value, or a measurement: `,` `=` and space. */
export function escapeTag(v: string): string {
  return /[,= \\]/.test(v) ? v.replace(/([,= \\])/g, '\\$1') : v;
}

/** A quoted string field value (influxd 1.x keeps raw newlines inside quotes; only `"` and `\` escape). */
export function quoteString(v: string): string {
  return /["\\]/.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`;
}

const tags = (t: { site: string; line: string; device: string }) => `,device=${t.device},line=${t.line},site=${t.site}`;
const intField = (k: string, v: number) => `${k}=${Math.trunc(v)}i`;

/** Appends `key=value` float fields from a number map, refusing reserved names. */
function numberFields(values: Record<string, number>, reserved: Set<string>, what: string): string {
  let out = '';
  for (const key in values) {
    if (reserved.has(key))
      throw new StoreError('INVALID_POINT', `${what} named ${JSON.stringify(key)} collides with a reserved field`);
    out += `${out ? ',' : ''}${key}=${values[key] as number}`;
  }
  return out;
}

const telemetryTail = (m: MessageOf<'telemetry'>) =>
  `seq=${m.seq}i${m.intervalMs === undefined ? '' : `,interval_ms=${m.intervalMs}i`}`;
function telemetryPoint(values: Record<string, number>, ts: number, tail: string, t: string): string {
  const f = numberFields(values, RESERVED.telemetry, 'sensor');
  return `telemetry${t} ${f ? `${f},` : ''}${tail} ${ts}`;
}

type Encoder<C extends StoredChannel> = (m: MessageOf<C>, t: string) => string;

const ENCODERS: { [C in StoredChannel]: Encoder<C> } = {
  telemetry: (m, t) => telemetryPoint(m.values, m.ts, telemetryTail(m), t),
  features: (m, t) => {
    const model = m.model ? `,model=${m.model.name},model_version=${m.model.version}` : '';
    let f = numberFields(m.features, RESERVED.features, 'feature');
    f += `${f ? ',' : ''}seq=${m.seq}i,window_start=${m.windowStart}i`;
    if (m.score !== undefined) f += `,score=${m.score}`;
    if (m.smoothedScore !== undefined) f += `,smoothed_score=${m.smoothedScore}`;
    if (m.cluster !== undefined) f += `,${intField('cluster', m.cluster)}`;
    return `features${t}${model} ${f} ${m.ts}`;
  },
  anomaly: (m, t) => {
    let f = `event_id=${quoteString(m.eventId)},model=${quoteString(m.model.name)},${intField('model_version', m.model.version)}`;
    f += `,score=${m.score},threshold=${m.threshold},${intField('opened_at', m.openedAt)},seq=${m.seq}i`;
    if (m.closedAt !== undefined) f += `,${intField('closed_at', m.closedAt)}`;
    if (m.peakScore !== undefined) f += `,peak_score=${m.peakScore}`;
    if (m.faultClass !== undefined) f += `,fault_class=${quoteString(m.faultClass)}`;
    return `anomaly_events${t},state=${m.state} ${f} ${m.ts}`;
  },
  inspection: (m, t) => {
    let f = `frame_id=${quoteString(m.frameId)},label=${quoteString(m.label)},confidence=${m.confidence},seq=${m.seq}i`;
    if (m.truth !== undefined) f += `,truth=${quoteString(m.truth)}`;
    if (m.latencyMs !== undefined) f += `,latency_ms=${m.latencyMs}`;
    if (m.scores !== undefined) f += `,scores=${quoteString(JSON.stringify(m.scores))}`;
    if (m.thumbnail !== undefined) f += `,thumbnail=${quoteString(m.thumbnail)}`;
    return `inspections${t},model=${m.model.name},model_version=${m.model.version} ${f} ${m.ts}`;
  },
  state: (m, t) => {
    let f = `status=${quoteString(m.status)},${intField('outbox_depth', m.outboxDepth)},${intField('shed', m.shed)},models=${quoteString(JSON.stringify(m.models))},seq=${m.seq}i`;
    if (m.provider !== undefined) f += `,provider=${quoteString(m.provider)}`;
    if (m.lastError !== undefined) f += `,last_error=${quoteString(JSON.stringify(m.lastError))}`;
    if (m.rollout !== undefined) f += `,rollout=${quoteString(JSON.stringify(m.rollout))}`;
    if (m.agentVersion !== undefined) f += `,agent_version=${quoteString(m.agentVersion)}`;
    return `device_state${t} ${f} ${m.ts}`;
  },
  heartbeat: (m, t) => {
    let f = `uptime_s=${m.uptimeS},${intField('outbox_depth', m.outboxDepth)},seq=${m.seq}i`;
    if (m.rssBytes !== undefined) f += `,${intField('rss_bytes', m.rssBytes)}`;
    if (m.cpuPercent !== undefined) f += `,cpu_percent=${m.cpuPercent}`;
    if (m.windowsScored !== undefined) f += `,${intField('windows_scored', m.windowsScored)}`;
    return `heartbeats${t} ${f} ${m.ts}`;
  },
  truth: (m, t) => {
    let f = `fault_id=${quoteString(m.faultId)},fault=${quoteString(m.fault)},seq=${m.seq}i`;
    if (m.severity !== undefined) f += `,severity=${m.severity}`;
    if (m.sensor !== undefined) f += `,sensor=${quoteString(m.sensor)}`;
    if (m.note !== undefined) f += `,note=${quoteString(m.note)}`;
    return `fault_truth${t},state=${m.state} ${f} ${m.ts}`;
  },
  evidence: () => {
    throw new StoreError(
      'INVALID_ARGUMENT',
      'evidence is stored with its blob: store the blob, then write evidenceLine(evidenceInputOf(publish, blob))',
    );
  },
  label: (m, t) => {
    let f = `label_id=${quoteString(m.labelId)},target=${quoteString(m.target)},label=${quoteString(m.label)},by=${quoteString(m.by)},seq=${m.seq}i`;
    if (m.refId !== undefined) f += `,ref_id=${quoteString(m.refId)}`;
    if (m.comment !== undefined) f += `,comment=${quoteString(m.comment)}`;
    if (m.from !== undefined) f += `,${intField('from', m.from)}`;
    if (m.to !== undefined) f += `,${intField('to', m.to)}`;
    return `labels${t} ${f} ${m.ts}`;
  },
};

/**
 * The line-protocol points of one decoded publish: one, or for telemetry that carries `earlier`
 * intervals one per interval (oldest first, all under the message's `seq`). Each point's timestamp
 * is its own `ts` (ms), so a redelivered message rewrites the same series and times and never
 * duplicates. Throws like `toLine`.
 */
export function toPoints(p: DecodedPublish): string[] {
  if (!isPublishOn(p, 'telemetry') || !p.message.earlier) return [encodeOne(p)];
  const m = p.message;
  const t = tags(p.topic);
  const tail = telemetryTail(m);
  const out = (m.earlier ?? []).map((row) => telemetryPoint(row.values, row.ts, tail, t));
  out.push(telemetryPoint(m.values, m.ts, tail, t));
  return out;
}

/**
 * The line-protocol point of one decoded publish (newline-separated points for telemetry with
 * `earlier` intervals, see `toPoints`); its timestamp is the message `ts` (ms), so a
 * redelivered message rewrites the same series and time and never duplicates.
 * Throws `StoreError('INVALID_ARGUMENT')` for a channel that is not stored, `INVALID_POINT` for a
 * message that collides with reserved field names.
 */
export function toLine(p: DecodedPublish): string {
  return toPoints(p).join('\n');
}

/** The single point of a publish, telemetry's `earlier` rows left aside. */
function encodeOne(p: DecodedPublish): string {
  const channel = p.topic.channel;
  if (!isStoredChannel(channel))
    throw new StoreError('INVALID_ARGUMENT', `channel ${JSON.stringify(channel)} is not stored`);
  const encode = ENCODERS[channel] as Encoder<StoredChannel>;
  return encode(p.message as MessageOf<StoredChannel>, tags(p.topic));
}

/** Input of `TelemetryStore.writeModelEvent`. */
export interface ModelEvent {
  /** e.g. trained, registered, rollout-started, promoted, rolled-back, drift */
  kind: string;
  model: string;
  version: number;
  deviceId?: string;
  /** JSON-serialisable detail */
  detail?: object;
  /** ms since epoch; default now */
  ts?: number;
}

export function modelEventLine(e: ModelEvent): string {
  if (!e.kind || !e.model) throw new StoreError('INVALID_ARGUMENT', 'a model event needs a kind and a model');
  if (!Number.isInteger(e.version) || e.version < 0)
    throw new StoreError('INVALID_ARGUMENT', `model event version must be a non-negative integer, got ${e.version}`);
  const ts = e.ts ?? Date.now();
  if (!Number.isInteger(ts) || ts < 0)
    throw new StoreError('INVALID_ARGUMENT', `model event ts must be ms since epoch, got ${ts}`);
  const device = e.deviceId === undefined ? '' : `,device=${escapeTag(e.deviceId)}`;
  const detail = quoteString(JSON.stringify(e.detail ?? {}));
  return `${MODEL_EVENTS_MEASUREMENT}${device},kind=${escapeTag(e.kind)},model=${escapeTag(e.model)} version=${e.version}i,detail=${detail} ${ts}`;
}
