import { StoreError } from './errors.js';
import { EVIDENCE_MEASUREMENT } from './evidence-lines.js';
import {
  EvidenceLabelIndex,
  evidenceRow,
  truthIntervals,
  windowTruth,
  type EvidenceRecord,
  type FaultTruthInterval,
} from './evidence-rows.js';
import type { InfluxSeries } from './influx-http.js';
import { deviceClause, rawFrom, timeRange } from './queries.js';
import { rowsOf, type LabelRow } from './rows.js';
import { EVIDENCE_RP, ident, stringLit } from './schema.js';

export interface EvidenceQuery {
  /** ms since epoch, inclusive */
  from: number;
  /** ms since epoch, exclusive */
  to: number;
  kind?: 'frame' | 'window';
  devices?: string[];
  /** true: only evidence a label applies to; false: only evidence without one */
  labelled?: boolean;
  /** most records, newest first; default 200 */
  limit?: number;
}

export interface TruthQuery {
  from: number;
  to: number;
  devices?: string[];
}

type Query = (q: string) => Promise<InfluxSeries[] | undefined>;

export const evidenceFrom = (db: string) => `${ident(db)}.${ident(EVIDENCE_RP)}.${ident(EVIDENCE_MEASUREMENT)}`;

/** Fault intervals overlapping `[from, to)`: truth points are few, so every start before `to` is read and paired. */
export async function queryTruth(query: Query, db: string, q: TruthQuery): Promise<FaultTruthInterval[]> {
  timeRange(q.from, q.to);
  const rows = rowsOf(
    await query(
      `SELECT * FROM ${rawFrom(db, 'fault_truth')} WHERE ${timeRange(0, q.to)}${deviceClause(undefined, q.devices)}`,
    ),
  );
  return truthIntervals(rows).filter((i) => i.start < q.to && (i.end === undefined || i.end >= q.from));
}

/**
 * Evidence in `[from, to)`, newest first, one record per evidenceId (the newest point), each with the
 * label that applies and, for windows, simulator truth from `fault_truth`. With `labelled` set the
 * filter runs after label resolution, so pages are read until `limit` records pass it.
 */
export async function queryEvidence(
  query: Query,
  db: string,
  labels: () => Promise<LabelRow[]>,
  q: EvidenceQuery,
): Promise<EvidenceRecord[]> {
  const limit = q.limit ?? 200;
  if (!Number.isInteger(limit) || limit < 1)
    throw new StoreError('INVALID_ARGUMENT', `limit must be a positive integer, got ${limit}`);
  if (q.kind !== undefined && q.kind !== 'frame' && q.kind !== 'window')
    throw new StoreError('INVALID_ARGUMENT', `kind must be frame or window, got ${JSON.stringify(q.kind)}`);
  const where = `${timeRange(q.from, q.to)}${deviceClause(undefined, q.devices)}${q.kind ? ` AND "kind" = ${stringLit(q.kind)}` : ''}`;
  const [index, intervals] = await Promise.all([
    labels().then((l) => new EvidenceLabelIndex(l)),
    q.kind === 'frame' ? [] : queryTruth(query, db, { from: 0, to: q.to, devices: q.devices }),
  ]);
  const page = q.labelled === undefined ? limit : Math.max(limit, 500);
  const out: EvidenceRecord[] = [];
  const seen = new Set<string>();
  for (let offset = 0; out.length < limit; offset += page) {
    const rows = rowsOf(
      await query(`SELECT * FROM ${evidenceFrom(db)} WHERE ${where} ORDER BY time DESC LIMIT ${page} OFFSET ${offset}`),
    );
    for (const row of rows) {
      const r = evidenceRow(row);
      if (seen.has(r.evidenceId)) continue;
      seen.add(r.evidenceId);
      const label = index.resolve(r);
      if (label) r.label = label;
      if (r.truth === undefined) {
        const truth = windowTruth(r, intervals);
        if (truth !== undefined) r.truth = truth;
      }
      if (q.labelled === undefined || q.labelled === (r.label !== undefined)) out.push(r);
      if (out.length === limit) break;
    }
    if (rows.length < page) break;
  }
  return out;
}

/** The newest record of one evidenceId (label resolved), or undefined. */
export async function findEvidence(
  query: Query,
  db: string,
  labels: () => Promise<LabelRow[]>,
  evidenceId: string,
): Promise<EvidenceRecord | undefined> {
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(evidenceId))
    throw new StoreError('INVALID_ARGUMENT', `evidenceId ${JSON.stringify(evidenceId.slice(0, 80))} is not a valid id`);
  const [row] = rowsOf(
    await query(
      `SELECT * FROM ${evidenceFrom(db)} WHERE "evidence_id" = ${stringLit(evidenceId)} ORDER BY time DESC LIMIT 1`,
    ),
  );
  if (!row) return undefined;
  const r = evidenceRow(row);
  const label = new EvidenceLabelIndex(await labels()).resolve(r);
  if (label) r.label = label;
  return r;
}

/** Distinct labels of uploaded images (part of the vision vocabulary). */
export async function queryUploadLabels(query: Query, db: string): Promise<string[]> {
  const rows = rowsOf(
    await query(`SELECT DISTINCT("upload_label") FROM ${evidenceFrom(db)} WHERE "reason" = 'upload'`),
  );
  return rows
    .map((r) => String(r['distinct']))
    .filter((s) => s !== '')
    .sort();
}
