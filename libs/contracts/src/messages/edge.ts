import { z } from 'zod';
import {
  envelopeShape,
  executionProviderSchema,
  finite,
  modelKindSchema,
  modelRefSchema,
  nameSchema,
  numberMap,
  textSchema,
  timestampSchema,
} from './common.js';
import { idSchema } from '../ids.js';
import { IMAGE_ENCODINGS, RAW_LIMITS, sensorSeriesSchema } from './plant.js';

/** Most intervals one telemetry message carries besides its latest (`earlier.length`). */
export const MAX_TELEMETRY_EARLIER = 599;
/** Most sensors one telemetry interval carries. */
export const MAX_TELEMETRY_SENSORS = 128;
/** Most features one feature window carries. */
export const MAX_FEATURES = 512;

/** One earlier interval of a telemetry message: the mean of each sensor over the interval ending at `ts`. */
export const telemetryRowSchema = z.strictObject({
  ts: timestampSchema,
  values: numberMap(MAX_TELEMETRY_SENSORS),
});
export type TelemetryRow = z.infer<typeof telemetryRowSchema>;

/**
 * Channel `telemetry`: downsampled sensor values (one value per sensor per interval). `values` is
 * the interval ending at `ts`. An edge that batches telemetry sends the intervals before it in
 * `earlier` (oldest first, each before the next and before `ts`): one message for several
 * intervals, so ingest is not bound by one MQTT message per point. Every row is stored as its own
 * point under the message's `seq`.
 */
export const telemetrySchema = z
  .strictObject({
    ...envelopeShape,
    /** ms the values summarise (mean over the interval ending at `ts`) */
    intervalMs: z.number().int().min(1).max(3_600_000).optional(),
    values: numberMap(MAX_TELEMETRY_SENSORS),
    /** intervals before `ts`, oldest first; absent when the message carries one interval */
    earlier: z.array(telemetryRowSchema).min(1).max(MAX_TELEMETRY_EARLIER).optional(),
  })
  .superRefine((m, ctx) => {
    const rows = m.earlier;
    if (!rows) return;
    for (let i = 0; i < rows.length; i++) {
      const next = i + 1 < rows.length ? (rows[i + 1] as TelemetryRow).ts : m.ts;
      if ((rows[i] as TelemetryRow).ts >= next) {
        ctx.addIssue({
          code: 'custom',
          path: ['earlier', i, 'ts'],
          message: `earlier rows must be in time order, each before the next and before ts (row ${i} at ${(rows[i] as TelemetryRow).ts}, next at ${next})`,
        });
        return;
      }
    }
  });
export type Telemetry = z.infer<typeof telemetrySchema>;

/** Channel `features`: one window's features and, when scored, its anomaly score. */
export const featuresSchema = z.strictObject({
  ...envelopeShape,
  windowStart: timestampSchema,
  windowEnd: timestampSchema,
  features: numberMap(MAX_FEATURES),
  score: finite.optional(),
  /** the score smoothed the way events are decided */
  smoothedScore: finite.optional(),
  cluster: z.number().int().min(0).optional(),
  model: modelRefSchema.optional(),
  /** the fault CNN's class for the newest raw window of the device, when one runs */
  fault: z.strictObject({ label: nameSchema, confidence: z.number().min(0).max(1), model: modelRefSchema }).optional(),
});
export type Features = z.infer<typeof featuresSchema>;

/** Channel `anomaly`: an anomaly event opens once and closes once (hysteresis at the edge). */
export const anomalyEventSchema = z.strictObject({
  ...envelopeShape,
  eventId: idSchema,
  state: z.enum(['open', 'close']),
  model: modelRefSchema,
  score: finite,
  threshold: finite,
  openedAt: timestampSchema,
  closedAt: timestampSchema.optional(),
  peakScore: finite.optional(),
  /** the fault class of the window, when a fault CNN ran */
  faultClass: nameSchema.optional(),
});
export type AnomalyEvent = z.infer<typeof anomalyEventSchema>;

/**
 * Class names that mean "a good part" (case-insensitive, whole name), for models that name no good class:
 * what reads as nothing-wrong for thumbnails, good/defect figures and dashboards.
 */
export const GOOD_CLASS_NAMES =
  /^(ok|good|free|normal|pass|passed|clean|none|no[_-]?defects?|non[_-]?defective|defect[_-]?free)$/i;

/** Channel `inspection`: the vision model's verdict on one camera frame. */
export const inspectionResultSchema = z.strictObject({
  ...envelopeShape,
  frameId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
  label: nameSchema,
  confidence: z.number().min(0).max(1),
  scores: numberMap(64).optional(),
  model: modelRefSchema,
  latencyMs: z.number().min(0).optional(),
  /** small preview of the frame (base64 PNG), for engineers */
  thumbnail: z.string().max(64_000).optional(),
  truth: nameSchema.optional(),
});
export type InspectionResult = z.infer<typeof inspectionResultSchema>;

export const activeModelSchema = z.strictObject({
  name: idSchema,
  kind: modelKindSchema,
  version: z.number().int().min(1),
  provider: executionProviderSchema,
  since: timestampSchema,
});
export type ActiveModel = z.infer<typeof activeModelSchema>;

/** Why the edge sent a piece of evidence. */
export const EVIDENCE_REASONS = [
  /** a frame the vision model was unsure of (confidence under the configured threshold) */
  'uncertain',
  /** a random sample of the frames the model was sure of */
  'sample',
  /** the raw window around an anomaly event's onset (before and after) */
  'anomaly',
  /** a random sample of raw windows while no event was open */
  'healthy',
] as const;
export type EvidenceReason = (typeof EVIDENCE_REASONS)[number];

/** Counts of evidence pieces by reason. */
const evidenceCountsSchema = z.partialRecord(z.enum(EVIDENCE_REASONS), z.number().int().min(0));

export const ROLLOUT_STATUSES = ['downloading', 'verifying', 'applied', 'rejected', 'rolled-back'] as const;

/** Channel `state` (retained): what the device runs and how it is doing. */
export const deviceStateSchema = z.strictObject({
  ...envelopeShape,
  status: z.enum(['online', 'offline', 'degraded']),
  models: z.array(activeModelSchema).max(16),
  provider: executionProviderSchema.optional(),
  outboxDepth: z.number().int().min(0),
  shed: z.number().int().min(0).default(0),
  lastError: z.strictObject({ code: textSchema(64), message: textSchema(1024), at: timestampSchema }).optional(),
  rollout: z
    .strictObject({
      rolloutId: idSchema,
      name: idSchema,
      version: z.number().int().min(1),
      status: z.enum(ROLLOUT_STATUSES),
      reason: textSchema(1024).optional(),
      at: timestampSchema,
    })
    .optional(),
  agentVersion: textSchema(32).optional(),
  /** the fieldbus the device's samples come in over (OPC UA, Modbus): link, refused bad-quality values, gaps */
  intake: z
    .strictObject({
      protocol: z.enum(['opcua', 'modbus']),
      endpoint: textSchema(256),
      connected: z.boolean(),
      /** values refused since start: bad or uncertain status codes, Modbus exceptions, non-finite numbers */
      badValues: z.number().int().min(0),
      /** outages (lost connection, failed reads) that left a hole in the samples */
      gaps: z.number().int().min(0),
      /** the last hole: from the last good reading to the first one after it, ms since epoch */
      lastGap: z.strictObject({ from: timestampSchema, to: timestampSchema }).optional(),
    })
    .optional(),
  /** evidence kept for training since the agent started, by reason: queued in the outbox, over the device's budget, shed by the outbox */
  evidence: z
    .strictObject({
      queued: evidenceCountsSchema,
      /** bytes of the evidence queued */
      queuedBytes: z.number().int().min(0),
      rateLimited: evidenceCountsSchema,
      shed: evidenceCountsSchema,
    })
    .optional(),
});
export type DeviceState = z.infer<typeof deviceStateSchema>;

/** Channel `heartbeat`: liveness and load, every few seconds. */
export const heartbeatSchema = z.strictObject({
  ...envelopeShape,
  uptimeS: z.number().min(0),
  outboxDepth: z.number().int().min(0),
  rssBytes: z.number().int().min(0).optional(),
  cpuPercent: z.number().min(0).max(10_000).optional(),
  windowsScored: z.number().int().min(0).optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** Most bytes of base64 frame data one evidence message carries (the camera channel's limit). */
export const MAX_EVIDENCE_FRAME_BASE64 = 1_400_000;

/** A camera frame kept as evidence, as the camera station sent it. */
export const evidenceFrameSchema = z
  .strictObject({
    frameId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
    width: z.number().int().min(1).max(1024),
    height: z.number().int().min(1).max(1024),
    encoding: z.enum(IMAGE_ENCODINGS),
    /** base64: `gray8` is width×height bytes row-major, `png` a grayscale PNG file */
    data: z
      .string()
      .max(MAX_EVIDENCE_FRAME_BASE64)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'data must be base64' }),
  })
  .refine(
    (f) =>
      f.encoding !== 'gray8' ||
      Math.floor((f.data.length * 3) / 4) - (f.data.match(/=*$/)?.[0].length ?? 0) === f.width * f.height,
    {
      message: 'gray8 data must hold width×height bytes',
      path: ['data'],
    },
  );
export type EvidenceFrame = z.infer<typeof evidenceFrameSchema>;

/** Raw samples kept as evidence: every series starts at `t0`, as in a `raw` batch. */
export const evidenceWindowSchema = z.strictObject({
  t0: timestampSchema,
  sensors: z
    .record(nameSchema, sensorSeriesSchema)
    .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= RAW_LIMITS.maxSensors, {
      message: `1 to ${RAW_LIMITS.maxSensors} sensors`,
    }),
  /** the anomaly event the window surrounds (reason `anomaly`) */
  eventId: idSchema.optional(),
  /** the event's onset, ms since epoch, inside the window */
  onset: timestampSchema.optional(),
});
export type EvidenceWindow = z.infer<typeof evidenceWindowSchema>;

/**
 * Channel `evidence`: what the edge keeps for the trainer to learn CNNs from — a camera frame
 * (`kind: 'frame'`) or a raw multichannel window (`kind: 'window'`), with the model's prediction
 * on it. Evidence is sent within a per-device budget and is the first thing shed when the outbox
 * runs short. `truth` comes only from simulators and is marked as such wherever it is used.
 */
export const evidenceSchema = z
  .strictObject({
    ...envelopeShape,
    evidenceId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
    kind: z.enum(['frame', 'window']),
    reason: z.enum(EVIDENCE_REASONS),
    frame: evidenceFrameSchema.optional(),
    window: evidenceWindowSchema.optional(),
    /** the model whose prediction is attached */
    model: modelRefSchema.optional(),
    prediction: z
      .strictObject({ label: nameSchema, confidence: z.number().min(0).max(1), scores: numberMap(64).optional() })
      .optional(),
    /** ground truth, only from simulators */
    truth: nameSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.kind === 'frame' && (!m.frame || m.window))
      ctx.addIssue({
        code: 'custom',
        path: ['frame'],
        message: 'evidence of kind frame carries `frame` and no `window`',
      });
    if (m.kind === 'window' && (!m.window || m.frame))
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: 'evidence of kind window carries `window` and no `frame`',
      });
  });
export type Evidence = z.infer<typeof evidenceSchema>;
