/**
 * The shapes the dashboard's API answers with. The web page imports them with `import type` (no
 * hand-kept mirrors to drift): this module and the ones it names hold types and plain classes only,
 * nothing that needs Node, so the page's compiler (DOM, no Node types) checks them too.
 */
import type { EvidenceWindow } from '@takt/contracts';
import type { DeviceView } from './plant/device-registry.js';
import type { FaultPoint } from './plant/fault-log.js';

export type { ActiveModel, ModelManifest } from '@takt/contracts';
export type { EvidenceRecord } from '@takt/telemetry-store';
export type { Alert, AlertNote } from './plant/alert-book.js';
export type { DeviceView } from './plant/device-registry.js';
export type { FaultPoint } from './plant/fault-log.js';
export type { InspectionView } from './plant/inspection-log.js';

/** `GET /api/devices/:id`: the device, the threshold its events were last judged by, its recent fault CNN verdicts (oldest first). */
export type DeviceDetail = DeviceView & { threshold: number | null; faults: FaultPoint[] };

/** Columns for uPlot: one x array (ms) and one y array per series, null for gaps. */
export interface Columns {
  ts: number[];
  series: Record<string, (number | null)[]>;
}

/** `GET /api/devices/:id/history` */
export interface DeviceHistory {
  deviceId: string;
  from: number;
  to: number;
  /** `live` (dashboard memory) or `influx`; with the bucket when downsampled */
  source: 'live' | 'influx';
  every?: string;
  telemetry: Columns;
  /** `score` and `smoothed` */
  scores: Columns;
  threshold?: number;
  /** anomaly periods to shade; `to` undefined while open */
  anomalies: { from: number; to?: number; eventId: string }[];
}

/** `GET /api/labels`: vision classes for frames, fault classes (with `normal`) for windows and alerts. */
export interface LabelVocabulary {
  vision: string[];
  fault: string[];
}

/** `GET /api/evidence/:id/blob` of a window: every series starts at `t0`. */
export type WindowBlob = Pick<EvidenceWindow, 't0' | 'sensors'>;
