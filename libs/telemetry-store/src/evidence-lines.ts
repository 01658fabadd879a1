import { isPublishOn, type DecodedPublish, type EvidenceReason } from '@takt/contracts';
import { StoreError } from './errors.js';
import { escapeTag, quoteString } from './line-protocol.js';

export const EVIDENCE_MEASUREMENT = 'evidence';

/** Why a piece of evidence exists: the edge's reasons, or an engineer's upload. */
export type EvidenceRecordReason = EvidenceReason | 'upload';

/** What `evidenceLine` writes: a piece of evidence whose blob is already stored. */
export interface EvidenceInput {
  evidenceId: string;
  deviceId: string;
  site?: string;
  line?: string;
  /** ms since epoch; the point's time (a redelivered message rewrites the same point) */
  ts: number;
  seq?: number;
  kind: 'frame' | 'window';
  reason: EvidenceRecordReason;
  sha256: string;
  bytes: number;
  frame?: { frameId: string; width: number; height: number };
  window?: { t0: number; durationMs: number; sensors: string[]; eventId?: string; onset?: number };
  model?: { name: string; version: number };
  prediction?: { label: string; confidence: number };
  /** simulator ground truth */
  truth?: string;
  /** an uploaded image: its label, who uploaded it and the file name it had */
  upload?: { label: string; by: string; file: string };
}

/** ms a raw window spans: its longest series. */
export function windowDurationMs(sensors: Record<string, { rate: number; values: readonly unknown[] }>): number {
  let ms = 0;
  for (const name in sensors) {
    const s = sensors[name] as { rate: number; values: readonly unknown[] };
    ms = Math.max(ms, (s.values.length / s.rate) * 1000);
  }
  return Math.round(ms);
}

/** The evidence input of an `evidence` publish whose blob is stored at `blob`. */
export function evidenceInputOf(p: DecodedPublish, blob: { sha256: string; bytes: number }): EvidenceInput {
  if (!isPublishOn(p, 'evidence'))
    throw new StoreError(
      'INVALID_ARGUMENT',
      `evidenceInputOf needs an evidence publish, got channel ${p.topic.channel}`,
    );
  const m = p.message;
  const w = m.window;
  return {
    evidenceId: m.evidenceId,
    deviceId: p.topic.device,
    site: p.topic.site,
    line: p.topic.line,
    ts: m.ts,
    seq: m.seq,
    kind: m.kind,
    reason: m.reason,
    ...blob,
    ...(m.frame ? { frame: { frameId: m.frame.frameId, width: m.frame.width, height: m.frame.height } } : {}),
    ...(w
      ? {
          window: {
            t0: w.t0,
            durationMs: windowDurationMs(w.sensors),
            sensors: Object.keys(w.sensors),
            ...(w.eventId ? { eventId: w.eventId } : {}),
            ...(w.onset !== undefined ? { onset: w.onset } : {}),
          },
        }
      : {}),
    ...(m.model ? { model: m.model } : {}),
    ...(m.prediction ? { prediction: { label: m.prediction.label, confidence: m.prediction.confidence } } : {}),
    ...(m.truth ? { truth: m.truth } : {}),
  };
}

const int = (k: string, v: number) => `,${k}=${Math.trunc(v)}i`;
const str = (k: string, v: string) => `,${k}=${quoteString(v)}`;

/**
 * The line-protocol point of a piece of evidence (measurement `evidence`, RP `evidence`): tags
 * device, site, line (when known), kind and reason; the rest are fields.
 */
export function evidenceLine(e: EvidenceInput): string {
  if (!/^[0-9a-f]{64}$/.test(e.sha256))
    throw new StoreError('INVALID_POINT', `evidence ${e.evidenceId}: sha256 must be 64 hex digits`);
  if (!Number.isInteger(e.ts) || e.ts < 0)
    throw new StoreError('INVALID_POINT', `evidence ${e.evidenceId}: ts must be ms since epoch, got ${e.ts}`);
  let t = `,device=${escapeTag(e.deviceId)},kind=${e.kind}`;
  if (e.line !== undefined) t += `,line=${escapeTag(e.line)}`;
  t += `,reason=${e.reason}`;
  if (e.site !== undefined) t += `,site=${escapeTag(e.site)}`;
  let f = `evidence_id=${quoteString(e.evidenceId)}${str('sha256', e.sha256)}${int('bytes', e.bytes)}`;
  if (e.seq !== undefined) f += int('seq', e.seq);
  if (e.frame) f += `${str('frame_id', e.frame.frameId)}${int('width', e.frame.width)}${int('height', e.frame.height)}`;
  if (e.window) {
    f += `${int('t0', e.window.t0)}${int('duration_ms', e.window.durationMs)}${str('sensors', JSON.stringify(e.window.sensors))}`;
    if (e.window.eventId !== undefined) f += str('event_id', e.window.eventId);
    if (e.window.onset !== undefined) f += int('onset', e.window.onset);
  }
  if (e.model) f += `${str('model', e.model.name)}${int('model_version', e.model.version)}`;
  if (e.prediction) f += `${str('prediction', e.prediction.label)},confidence=${e.prediction.confidence}`;
  if (e.truth !== undefined) f += str('truth', e.truth);
  if (e.upload)
    f += `${str('upload_label', e.upload.label)}${str('upload_by', e.upload.by)}${str('file', e.upload.file)}`;
  return `${EVIDENCE_MEASUREMENT}${t} ${f} ${e.ts}`;
}
