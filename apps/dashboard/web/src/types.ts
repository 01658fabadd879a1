/**
 * The shapes the page reads. The dashboard's own answers come from the API's types (`import type`,
 * erased at bundling); the trainer's answers, which the dashboard passes through, are described here:
 * apps never import each other.
 */
export type {
  ActiveModel,
  Alert,
  Columns,
  DeviceDetail,
  DeviceHistory,
  DeviceView,
  EvidenceRecord,
  FaultPoint,
  InspectionView,
  LabelVocabulary,
  WindowBlob,
  ModelManifest as Manifest,
} from '../../src/api-types.js';

/** A training job as the trainer service lists it (`GET /api/jobs`). */
export interface Job {
  id: string;
  kind: string;
  model: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number;
  message: string;
  startedAt: number;
  finishedAt?: number;
  metrics?: Record<string, number>;
  version?: number;
  /** the promotion gate: candidate against the current model on the same held-out data */
  gate?: { passed: boolean; reason: string };
}
/** A rollout as the trainer service lists it (`GET /api/rollouts`). */
export interface Rollout {
  id: string;
  model: string;
  version: number;
  stage: 'canary' | 'promoted' | 'rolled-back' | 'failed';
  canary: string[];
  devices: { deviceId: string; status: string; version?: number }[];
  startedAt: number;
  updatedAt: number;
}
