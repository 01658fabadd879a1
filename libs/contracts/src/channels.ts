import type { z } from 'zod';
import type { Channel } from './topics.js';
import { cameraFrameSchema, faultTruthSchema, rawSampleBatchSchema } from './messages/plant.js';
import {
  anomalyEventSchema,
  deviceStateSchema,
  evidenceSchema,
  featuresSchema,
  heartbeatSchema,
  inspectionResultSchema,
  telemetrySchema,
} from './messages/edge.js';
import { desiredModelSchema, labelSchema } from './messages/cloud.js';

/** The schema of the message on each channel. */
export const channelSchemas = {
  raw: rawSampleBatchSchema,
  camera: cameraFrameSchema,
  telemetry: telemetrySchema,
  features: featuresSchema,
  anomaly: anomalyEventSchema,
  inspection: inspectionResultSchema,
  evidence: evidenceSchema,
  state: deviceStateSchema,
  heartbeat: heartbeatSchema,
  truth: faultTruthSchema,
  label: labelSchema,
  'model/desired': desiredModelSchema,
} as const satisfies Record<Channel, z.ZodType>;

export type MessageOf<C extends Channel> = z.output<(typeof channelSchemas)[C]>;
export type MessageInput<C extends Channel> = z.input<(typeof channelSchemas)[C]>;

const KiB = 1024;
/** Largest payload, in bytes, each channel accepts. Part of the contract: checked before parsing. */
export const MAX_PAYLOAD_BYTES: Readonly<Record<Channel, number>> = {
  raw: 1024 * KiB,
  camera: 1536 * KiB,
  telemetry: 256 * KiB, // up to 600 intervals of a few sensors (`earlier`)
  features: 64 * KiB,
  anomaly: 8 * KiB,
  inspection: 96 * KiB,
  evidence: 1536 * KiB, // one camera frame or a raw window, with its prediction
  state: 32 * KiB,
  heartbeat: 4 * KiB,
  truth: 4 * KiB,
  label: 8 * KiB,
  'model/desired': 64 * KiB,
};
/** The largest payload any channel accepts; brokers size their packet limit from it. */
export const MAX_ANY_PAYLOAD_BYTES = Math.max(...Object.values(MAX_PAYLOAD_BYTES));
