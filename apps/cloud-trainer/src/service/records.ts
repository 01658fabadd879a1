import type { DesiredModel } from '@takt/contracts';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';
/** What started a job: an API request, the schedule, the first-model rule, a drift alarm, or new labels. */
export type JobTrigger = 'api' | 'schedule' | 'first' | 'drift' | 'labels';

/** The model kind a job trains: K-means anomaly, the 2-D vision CNN, the 1-D fault CNN. */
export const JOB_KINDS = ['kmeans', 'cnn-vision', 'cnn-fault'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** One model's quality on the gate's evaluation data. */
export interface ModelEvaluation {
  version: number;
  /** share of healthy evaluation windows whose smoothed score is above the threshold */
  falseAlarmRate: number;
  /** hysteresis events on the healthy evaluation windows */
  falseAlarmEvents: number;
  /** share of windows labelled as faults whose smoothed score is above the threshold (labelled data only) */
  detectionRate?: number;
}

/** A classifier's quality on held-out labelled evidence. */
export interface ClassifierEvaluation {
  version: number;
  /** share of held-out samples classified right (fp32, run by onnxruntime) */
  accuracy: number;
  /** the same for the int8 variant, when there is one */
  accuracyInt8?: number;
}

/** The promotion gate of a CNN: candidate vs the current model on the same held-out labelled samples. */
export interface ClassifierGateReport {
  basis: 'held-out';
  /** held-out samples both models were scored on */
  testSamples: number;
  candidate: ClassifierEvaluation;
  /** absent when there is no current model (or it cannot read these samples) */
  current?: ClassifierEvaluation;
  passed: boolean;
  reason: string;
}

/** The promotion gate's verdict: candidate vs the current model on the same windows. */
export interface GateReport {
  basis: 'labelled' | 'healthy-holdout';
  healthyWindows: number;
  faultWindows: number;
  candidate: ModelEvaluation;
  /** absent when there is no current model (or it cannot read these windows' features) */
  current?: ModelEvaluation;
  passed: boolean;
  reason: string;
}

export interface JobRequest {
  devices?: string[];
  /** ms since epoch */
  from?: number;
  to?: number;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  model: string;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string;
  trigger: JobTrigger;
  request: JobRequest;
  /** when the job was submitted, ms */
  startedAt: number;
  /** when it began to run, ms */
  runningSince?: number;
  finishedAt?: number;
  metrics?: Record<string, number>;
  /** the registered version, when the candidate passed the gate */
  version?: number;
  gate?: GateReport | ClassifierGateReport;
  /** devices whose windows or frames the model was trained on: the ones it can serve */
  trainedOn?: string[];
  /** where the labels came from (CNN jobs): counts by source (`engineer`, `upload`, `simulator`, `healthy-sample`) */
  labelSources?: Record<string, number>;
  error?: { code: string; message: string };
}

export type RolloutStage = 'canary' | 'promoted' | 'rolled-back' | 'failed';
/** `pending`: not sent yet; `sent`: desired published; then what the device reported; `reverted`: previous desired restored. */
export type RolloutDeviceStatus =
  'pending' | 'sent' | 'downloading' | 'verifying' | 'applied' | 'rejected' | 'rolled-back' | 'reverted';

export interface RolloutDevice {
  deviceId: string;
  status: RolloutDeviceStatus;
  /** the version the device reports running for this model */
  version?: number;
  reason?: string;
}

export interface RolloutRecord {
  id: string;
  model: string;
  version: number;
  stage: RolloutStage;
  canary: string[];
  devices: RolloutDevice[];
  /** ms the canaries are watched */
  watchMs: number;
  startedAt: number;
  updatedAt: number;
  /** ms since epoch at which the canary watch ends (stage canary) */
  watchUntil?: number;
  /** why the rollout ended as it did */
  reason?: string;
  /** the desired model each device had before this rollout (null: none), restored on rollback */
  previous: Record<string, DesiredModel | null>;
}

/** What the service persists in `registryDir/trainer-state.json`. */
export interface ServiceState {
  jobs: JobRecord[];
  rollouts: RolloutRecord[];
}

/** A rollout as the API lists it (without the stored previous desired models). */
export function publicRollout(r: RolloutRecord): Omit<RolloutRecord, 'previous'> {
  const { previous: _previous, ...rest } = r;
  return rest;
}
