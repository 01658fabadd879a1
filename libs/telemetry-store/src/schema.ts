import { StoreError } from './errors.js';
import type { InfluxHttp } from './influx-http.js';

/** Retention and downsampling. Durations are InfluxQL durations (`7d`, `52w`, `1h`, `30s`). */
export interface RetentionOptions {
  /** how long raw points are kept, in the default RP `raw`; default `7d` */
  raw?: string;
  /** how long 1-minute rollups are kept, in RP `rollup_1y`; default `52w` */
  rollup?: string;
  /** how often each continuous query recomputes recent rollups; default `1m` */
  resampleEvery?: string;
  /** how far back each run recomputes, so late points (edge outbox flushes) are still rolled up; default `1h` */
  resampleFor?: string;
  /**
   * how long `evidence` metadata is kept, in RP `evidence` (as long as the evidence blobs); default `30d`.
   * Created with the default when missing; an existing RP is changed only when this is given.
   */
  evidence?: string;
}

export const RAW_RP = 'raw';
export const ROLLUP_RP = 'rollup_1y';
/** The retention policy of the `evidence` measurement: as long as the blobs it points at, not the 7 days of raw telemetry. */
export const EVIDENCE_RP = 'evidence';
/** Raw measurements rolled up to 1-minute means, and the rollup measurement each lands in. */
export const ROLLUPS = { telemetry: 'telemetry_1m', features: 'features_1m', heartbeats: 'heartbeats_1m' } as const;
export type RolledUpMeasurement = keyof typeof ROLLUPS;

export const DEFAULT_RETENTION: Required<RetentionOptions> = {
  raw: '7d',
  rollup: '52w',
  resampleEvery: '1m',
  resampleFor: '1h',
  evidence: '30d',
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** ms of an InfluxQL duration like `90s` or `7d`; throws `StoreError('INVALID_ARGUMENT')` otherwise. */
export function durationMs(d: string, what = 'duration'): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(d);
  if (!m || Number(m[1]) <= 0)
    throw new StoreError('INVALID_ARGUMENT', `${what} ${JSON.stringify(d)} must look like 30s, 1m, 7d`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

export const ident = (name: string): string => `"${name.replace(/["\\]/g, '\\$&')}"`;
export const stringLit = (v: string): string => `'${v.replace(/['\\]/g, '\\$&')}'`;

/** The InfluxQL of a rollup: 1-minute means of every field, per series, into `rollup_1y`. */
export function rollupSelect(db: string, m: RolledUpMeasurement, where = ''): string {
  return `SELECT mean(*) INTO ${ident(db)}.${ident(ROLLUP_RP)}.${ident(ROLLUPS[m])} FROM ${ident(db)}.${ident(RAW_RP)}.${ident(m)}${where} GROUP BY time(1m), *`;
}

function cqStatement(db: string, m: RolledUpMeasurement, r: Required<RetentionOptions>): string {
  return `CREATE CONTINUOUS QUERY ${ident(ROLLUPS[m])} ON ${ident(db)} RESAMPLE EVERY ${r.resampleEvery} FOR ${r.resampleFor} BEGIN ${rollupSelect(db, m)} END`;
}

async function ensureRetentionPolicy(
  http: InfluxHttp,
  db: string,
  name: string,
  duration: string,
  isDefault: boolean,
  alter = true,
): Promise<void> {
  const [series] = await http.query(`SHOW RETENTION POLICIES ON ${ident(db)}`);
  const exists = (series?.[0]?.values ?? []).some((row) => row[0] === name);
  if (exists && !alter) return;
  const verb = exists ? 'ALTER' : 'CREATE';
  await http.query(
    `${verb} RETENTION POLICY ${ident(name)} ON ${ident(db)} DURATION ${duration} REPLICATION 1${isDefault ? ' DEFAULT' : ''}`,
  );
}

/** Continuous queries of `db` by name → their stored query text. */
async function continuousQueries(http: InfluxHttp, db: string): Promise<Map<string, string>> {
  const [series] = await http.query('SHOW CONTINUOUS QUERIES');
  const mine = (series ?? []).find((s) => s.name === db);
  return new Map((mine?.values ?? []).map((row) => [String(row[0]), String(row[1])]));
}

/**
 * Creates (or brings up to date) the database, the retention policies `raw` (default),
 * `rollup_1y` and `evidence`, and one continuous query per rolled-up measurement. Safe to run on every start.
 */
export async function ensureSchema(http: InfluxHttp, db: string, retention: RetentionOptions = {}): Promise<void> {
  const r = { ...DEFAULT_RETENTION, ...retention };
  for (const [key, value] of Object.entries(r)) durationMs(value, `retention.${key}`);
  if (durationMs(r.resampleFor) < 60_000)
    throw new StoreError('INVALID_ARGUMENT', 'retention.resampleFor must be at least 1m (the rollup interval)');
  await http.query(`CREATE DATABASE ${ident(db)}`);
  await ensureRetentionPolicy(http, db, RAW_RP, r.raw, true);
  await ensureRetentionPolicy(http, db, ROLLUP_RP, r.rollup, false);
  // the ingestor knows no evidence retention; only the trainer (which sweeps the blobs) sets it
  await ensureRetentionPolicy(http, db, EVIDENCE_RP, r.evidence, false, retention.evidence !== undefined);
  const existing = await continuousQueries(http, db);
  for (const m of Object.keys(ROLLUPS) as RolledUpMeasurement[]) {
    const wanted = cqStatement(db, m, r);
    const have = existing.get(ROLLUPS[m]);
    if (have === wanted) continue;
    if (have !== undefined) await http.query(`DROP CONTINUOUS QUERY ${ident(ROLLUPS[m])} ON ${ident(db)}`);
    await http.query(wanted);
  }
}
