export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export { InfluxHttp, type InfluxHttpOptions, type InfluxSeries } from './influx-http.js';
export {
  MEASUREMENT_OF,
  STORED_CHANNELS,
  MODEL_EVENTS_MEASUREMENT,
  isStoredChannel,
  toLine,
  toPoints,
  modelEventLine,
  escapeTag,
  quoteString,
  type StoredChannel,
  type ModelEvent,
} from './line-protocol.js';
export {
  EVIDENCE_RP,
  RAW_RP,
  ROLLUP_RP,
  ROLLUPS,
  DEFAULT_RETENTION,
  durationMs,
  ensureSchema,
  type RetentionOptions,
  type RolledUpMeasurement,
} from './schema.js';
export type { SeriesQuery } from './queries.js';
export type {
  DeviceRow,
  FeatureRow,
  SeriesPoint,
  AnomalyEventRow,
  LabelRow,
  InspectionRow,
  DeviceStateRow,
  ModelEventRow,
} from './rows.js';
export {
  splitTrainingWindows,
  DEFAULT_HEALTHY_LABELS,
  type TrainingWindows,
  type TrainingWindowsQuery,
  type LabelledWindow,
} from './training.js';
export { TelemetryStore, type TelemetryStoreOptions, type FeatureQuery, type RangeQuery } from './store.js';
export {
  EVIDENCE_MEASUREMENT,
  evidenceLine,
  evidenceInputOf,
  windowDurationMs,
  type EvidenceInput,
  type EvidenceRecordReason,
} from './evidence-lines.js';
export type { EvidenceQuery, TruthQuery } from './evidence-query.js';
export {
  truthIntervals,
  windowTruth,
  EvidenceLabelIndex,
  type EvidenceRecord,
  type EvidenceLabel,
  type FaultTruthInterval,
} from './evidence-rows.js';
export { TelemetryLineEncoder } from './telemetry-lines.js';
