import type { EvidenceRecordReason } from './evidence-lines.js';
import type { LabelRow, Row } from './rows.js';

/** A piece of evidence as queried: its metadata, blob address and the label that applies. */
export interface EvidenceRecord {
  evidenceId: string;
  deviceId: string;
  site?: string;
  line?: string;
  ts: number;
  kind: 'frame' | 'window';
  reason: EvidenceRecordReason;
  sha256: string;
  bytes: number;
  frame?: { frameId: string; width: number; height: number };
  window?: { t0: number; durationMs: number; sensors: string[]; eventId?: string; onset?: number };
  model?: { name: string; version: number };
  prediction?: { label: string; confidence: number };
  /** simulator ground truth (marked as such wherever used): a frame's from the camera; a window's from `fault_truth` */
  truth?: string;
  /** the file name an uploaded image had */
  file?: string;
  /**
   * the label that applies, newest wins: target evidence (evidenceId), inspection (frameId, same device),
   * anomaly (window.eventId, same device); uploads carry their own label (source 'upload')
   */
  label?: EvidenceLabel;
}

export interface EvidenceLabel {
  label: string;
  by: string;
  at: number;
  source: 'engineer' | 'upload';
}

/** A fault the simulator injected: `start`..`end` (absent while it lasts). */
export interface FaultTruthInterval {
  deviceId: string;
  fault: string;
  faultId: string;
  start: number;
  end?: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function sensorsOf(v: unknown): string[] {
  try {
    const parsed = JSON.parse(String(v)) as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** An `evidence` row (tags merged) as a record, label not yet resolved. */
export function evidenceRow(r: Row): EvidenceRecord {
  const rec: EvidenceRecord = {
    evidenceId: String(r['evidence_id']),
    deviceId: String(r['device']),
    ts: Number(r['time']),
    kind: r['kind'] === 'window' ? 'window' : 'frame',
    reason: String(r['reason']) as EvidenceRecordReason,
    sha256: String(r['sha256']),
    bytes: Number(r['bytes']),
  };
  if (str(r['site'])) rec.site = String(r['site']);
  if (str(r['line'])) rec.line = String(r['line']);
  if (str(r['frame_id']))
    rec.frame = { frameId: String(r['frame_id']), width: Number(r['width']), height: Number(r['height']) };
  if (num(r['t0']) !== undefined) {
    rec.window = { t0: Number(r['t0']), durationMs: Number(r['duration_ms'] ?? 0), sensors: sensorsOf(r['sensors']) };
    if (str(r['event_id'])) rec.window.eventId = String(r['event_id']);
    if (num(r['onset']) !== undefined) rec.window.onset = Number(r['onset']);
  }
  if (str(r['model'])) rec.model = { name: String(r['model']), version: Number(r['model_version']) };
  if (str(r['prediction'])) rec.prediction = { label: String(r['prediction']), confidence: Number(r['confidence']) };
  if (str(r['truth'])) rec.truth = String(r['truth']);
  if (str(r['file'])) rec.file = String(r['file']);
  if (str(r['upload_label']))
    rec.label = {
      label: String(r['upload_label']),
      by: String(r['upload_by'] ?? 'upload'),
      at: rec.ts,
      source: 'upload',
    };
  return rec;
}

/** Engineer labels indexed by what they name, newest first within each key. */
export class EvidenceLabelIndex {
  readonly #byKey = new Map<string, LabelRow>();

  constructor(labels: readonly LabelRow[]) {
    for (const l of labels) {
      if (l.refId === undefined) continue;
      const key =
        l.target === 'evidence'
          ? `e:${l.refId}`
          : l.target === 'inspection'
            ? `i:${l.deviceId}:${l.refId}`
            : l.target === 'anomaly'
              ? `a:${l.deviceId}:${l.refId}`
              : undefined;
      if (key === undefined) continue;
      const have = this.#byKey.get(key);
      if (!have || l.ts >= have.ts) this.#byKey.set(key, l);
    }
  }

  /** The newest label that applies to `r` (its own upload label included). */
  resolve(r: EvidenceRecord): EvidenceLabel | undefined {
    const keys = [`e:${r.evidenceId}`];
    if (r.frame) keys.push(`i:${r.deviceId}:${r.frame.frameId}`);
    if (r.window?.eventId) keys.push(`a:${r.deviceId}:${r.window.eventId}`);
    let best = r.label;
    for (const k of keys) {
      const l = this.#byKey.get(k);
      if (l && (!best || l.ts >= best.at)) best = { label: l.label, by: l.by, at: l.ts, source: 'engineer' };
    }
    return best;
  }
}

/** Pairs `fault_truth` start and end points (per device and fault id) into intervals, oldest start first. */
export function truthIntervals(rows: readonly Row[]): FaultTruthInterval[] {
  const byId = new Map<string, FaultTruthInterval>();
  for (const r of [...rows].sort((a, b) => Number(a['time']) - Number(b['time']))) {
    const key = `${String(r['device'])}\u0000${String(r['fault_id'])}`;
    const at = Number(r['time']);
    const have = byId.get(key);
    if (r['state'] === 'end') {
      if (have) have.end = at;
      continue;
    }
    if (!have)
      byId.set(key, {
        deviceId: String(r['device']),
        fault: String(r['fault']),
        faultId: String(r['fault_id']),
        start: at,
      });
  }
  return [...byId.values()].sort((a, b) => a.start - b.start);
}

/**
 * Simulator truth of a raw window: the fault whose interval overlaps it, or `normal` when the device
 * is simulated (it has truth records) and none does; undefined for a device without simulator truth.
 */
export function windowTruth(r: EvidenceRecord, intervals: readonly FaultTruthInterval[]): string | undefined {
  if (!r.window) return undefined;
  const mine = intervals.filter((i) => i.deviceId === r.deviceId);
  if (mine.length === 0) return undefined;
  const from = r.window.t0;
  const to = from + r.window.durationMs;
  return mine.find((i) => i.start < to && (i.end === undefined || i.end > from))?.fault ?? 'normal';
}
