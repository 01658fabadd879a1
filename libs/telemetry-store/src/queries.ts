import { isValidId } from '@takt/contracts';
import { StoreError } from './errors.js';
import { durationMs, ident, RAW_RP, ROLLUP_RP, ROLLUPS, stringLit, type RolledUpMeasurement } from './schema.js';

/** `time >= from AND time < to`, after checking the range. */
export function timeRange(from: number, to: number): string {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0) {
    throw new StoreError('INVALID_ARGUMENT', `from and to must be ms since epoch, got ${from}..${to}`);
  }
  if (to <= from) throw new StoreError('INVALID_ARGUMENT', `to (${to}) must be after from (${from})`);
  return `time >= ${from}ms AND time < ${to}ms`;
}

function checkId(id: string, what: string): string {
  if (!isValidId(id)) throw new StoreError('INVALID_ARGUMENT', `${what} ${JSON.stringify(id)} is not a valid id`);
  return id;
}

/** ` AND ("device" = 'a' OR …)` for one device, a list, or nothing. */
export function deviceClause(device?: string, devices?: string[]): string {
  const all = [...(device === undefined ? [] : [device]), ...(devices ?? [])].map((d) => checkId(d, 'device'));
  if (all.length === 0) return devices === undefined ? '' : ' AND false';
  return ` AND (${all.map((d) => `"device" = ${stringLit(d)}`).join(' OR ')})`;
}

export function tagClause(tag: string, value: string | undefined): string {
  return value === undefined ? '' : ` AND ${ident(tag)} = ${stringLit(checkId(value, tag))}`;
}

export const rawFrom = (db: string, measurement: string) => `${ident(db)}.${ident(RAW_RP)}.${ident(measurement)}`;

/** Arguments of `TelemetryStore.querySeries`. */
export interface SeriesQuery {
  device: string;
  measurement: RolledUpMeasurement;
  /** fields to read; default every numeric field except bookkeeping (seq, window_start, interval_ms) */
  fields?: string[];
  /** ms since epoch, inclusive */
  from: number;
  /** ms since epoch, exclusive */
  to: number;
  /** bucket width, InfluxQL duration (e.g. `1m`, `15m`); omitted means the raw points */
  every?: string;
  /** `auto` (default) reads the 1-minute rollup when `every` ≥ 1m and the range is long or older than raw retention */
  source?: 'auto' | 'raw' | 'rollup';
}

export const SERIES_BOOKKEEPING = new Set(['seq', 'window_start', 'interval_ms']);
const FIELD_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface SeriesPlan {
  q: string;
  /** prefix influxd puts on wildcard aggregate columns, stripped from value names */
  prefix: string;
  rollup: boolean;
}

/** Builds the InfluxQL of a series query; `useRollup` decided by the caller. */
export function seriesQuery(db: string, q: SeriesQuery, useRollup: boolean): SeriesPlan {
  if (!Object.hasOwn(ROLLUPS, q.measurement))
    throw new StoreError('INVALID_ARGUMENT', `measurement ${JSON.stringify(q.measurement)} has no series`);
  for (const f of q.fields ?? [])
    if (!FIELD_NAME.test(f)) throw new StoreError('INVALID_ARGUMENT', `field ${JSON.stringify(f)} is not a field name`);
  const where = ` WHERE ${timeRange(q.from, q.to)}${deviceClause(q.device)}`;
  if (q.every === undefined) {
    const sel = q.fields?.length ? q.fields.map(ident).join(', ') : '*::field';
    return { q: `SELECT ${sel} FROM ${rawFrom(db, q.measurement)}${where}`, prefix: '', rollup: false };
  }
  const every = q.every;
  durationMs(every, 'every');
  const from = useRollup
    ? `${ident(db)}.${ident(ROLLUP_RP)}.${ident(ROLLUPS[q.measurement])}`
    : rawFrom(db, q.measurement);
  const inner = (f: string) => ident(useRollup ? `mean_${f}` : f);
  const sel = q.fields?.length ? q.fields.map((f) => `mean(${inner(f)}) AS ${ident(f)}`).join(', ') : 'mean(*)';
  const prefix = q.fields?.length ? '' : useRollup ? 'mean_mean_' : 'mean_';
  return { q: `SELECT ${sel} FROM ${from}${where} GROUP BY time(${every}) fill(null)`, prefix, rollup: useRollup };
}
