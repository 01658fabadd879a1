import { ID_PATTERN } from './ids.js';
import { MAX_FEATURES, MAX_TELEMETRY_EARLIER, MAX_TELEMETRY_SENSORS } from './messages/edge.js';
import { NAME_PATTERN as NAME, SCHEMA_VERSION, TS_MAX, TS_MIN } from './messages/common.js';
import { RAW_LIMITS } from './messages/plant.js';
import type { Channel } from './topics.js';

/**
 * Hand-written acceptance checks for the high-rate channels (`raw`, `telemetry`, `features`), so
 * brokers, edge agents and ingestors do not pay zod's generic walk on every valid message. Each one
 * answers `true` only for a value its zod schema accepts unchanged (these schemas have no defaults
 * or transforms); anything else — invalid, unusual or merely unchecked here — answers `false`, and
 * `validate` falls back to zod, which decides and names the error. A test mutates messages field by
 * field and checks that nothing passes here that zod refuses.
 */
type Check = (v: unknown) => boolean;

/** A plain JSON object (what JSON.parse makes), without a `__proto__` own key. */
function isRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(v, '__proto__');
}

/** zod's `.int()` is a safe integer */
const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const isTs = (v: unknown): boolean => isInt(v, TS_MIN, TS_MAX);
const isFinite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isId = (v: unknown): boolean => typeof v === 'string' && ID_PATTERN.test(v);

/** Every key of `o` is in `required` or `optional`, and every required key is present. */
function hasOnlyKeys(o: Record<string, unknown>, required: readonly string[], optional: readonly string[]): boolean {
  let seen = 0;
  for (const k in o) {
    if (required.includes(k)) seen++;
    else if (!optional.includes(k) || o[k] === undefined) return false;
  }
  return seen === required.length && required.every((k) => o[k] !== undefined);
}

/** The envelope every message carries. */
function envelope(o: Record<string, unknown>): boolean {
  return o['schemaVersion'] === SCHEMA_VERSION && isId(o['deviceId']) && isTs(o['ts']) && isInt(o['seq'], 0);
}

/** `numberMap(maxKeys)`: names → finite numbers, at most `maxKeys` entries. */
function numberMap(v: unknown, maxKeys: number): boolean {
  if (!isRecord(v)) return false;
  let n = 0;
  for (const k in v) {
    if (++n > maxKeys || !NAME.test(k) || !isFinite(v[k])) return false;
  }
  return true;
}

const ENVELOPE = ['schemaVersion', 'deviceId', 'ts', 'seq'];
const TELEMETRY_KEYS = [...ENVELOPE, 'values'];
const TELEMETRY_OPTIONAL = ['intervalMs', 'earlier'];

function telemetry(v: unknown): boolean {
  if (
    !isRecord(v) ||
    !hasOnlyKeys(v, TELEMETRY_KEYS, TELEMETRY_OPTIONAL) ||
    !envelope(v) ||
    !numberMap(v['values'], MAX_TELEMETRY_SENSORS)
  )
    return false;
  if (v['intervalMs'] !== undefined && !isInt(v['intervalMs'], 1, 3_600_000)) return false;
  const rows = v['earlier'];
  if (rows === undefined) return true;
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > MAX_TELEMETRY_EARLIER) return false;
  let before = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    if (
      !isRecord(row) ||
      !hasOnlyKeys(row, ['ts', 'values'], []) ||
      !isTs(row['ts']) ||
      !numberMap(row['values'], MAX_TELEMETRY_SENSORS)
    )
      return false;
    if ((row['ts'] as number) <= before) return false;
    before = row['ts'] as number;
  }
  return before < (v['ts'] as number);
}

const FEATURES_KEYS = [...ENVELOPE, 'windowStart', 'windowEnd', 'features'];
const FEATURES_OPTIONAL = ['score', 'smoothedScore', 'cluster', 'model'];

function features(v: unknown): boolean {
  if (!isRecord(v) || !hasOnlyKeys(v, FEATURES_KEYS, FEATURES_OPTIONAL) || !envelope(v)) return false;
  if (!isTs(v['windowStart']) || !isTs(v['windowEnd']) || !numberMap(v['features'], MAX_FEATURES)) return false;
  for (const k of ['score', 'smoothedScore']) if (v[k] !== undefined && !isFinite(v[k])) return false;
  if (v['cluster'] !== undefined && !isInt(v['cluster'], 0)) return false;
  const model = v['model'];
  if (model === undefined) return true;
  return (
    isRecord(model) && hasOnlyKeys(model, ['name', 'version'], []) && isId(model['name']) && isInt(model['version'], 1)
  );
}

const RAW_KEYS = [...ENVELOPE, 't0', 'sensors'];
const RAW_OPTIONAL = ['machineType'];

function sensorSeries(s: unknown): boolean {
  if (!isRecord(s) || !hasOnlyKeys(s, ['rate', 'values'], ['unit'])) return false;
  const rate = s['rate'];
  if (typeof rate !== 'number' || !(rate > 0) || rate > RAW_LIMITS.maxRateHz) return false;
  if (s['unit'] !== undefined && !(typeof s['unit'] === 'string' && s['unit'].length <= RAW_LIMITS.maxUnit))
    return false;
  const values = s['values'];
  if (!Array.isArray(values) || values.length < 1 || values.length > RAW_LIMITS.maxSamples) return false;
  for (let i = 0; i < values.length; i++) if (!isFinite(values[i])) return false;
  return true;
}

function raw(v: unknown): boolean {
  if (!isRecord(v) || !hasOnlyKeys(v, RAW_KEYS, RAW_OPTIONAL) || !envelope(v) || !isTs(v['t0'])) return false;
  if (
    v['machineType'] !== undefined &&
    !(typeof v['machineType'] === 'string' && v['machineType'].length <= RAW_LIMITS.maxMachineType)
  )
    return false;
  const sensors = v['sensors'];
  if (!isRecord(sensors)) return false;
  let n = 0;
  for (const k in sensors) if (++n > RAW_LIMITS.maxSensors || !NAME.test(k) || !sensorSeries(sensors[k])) return false;
  return n >= 1;
}

/** Channels with a fast acceptance check; the others always go through zod. */
export const FAST_CHECKS: Partial<Record<Channel, Check>> = { raw, telemetry, features };
