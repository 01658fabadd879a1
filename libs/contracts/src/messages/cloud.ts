import { z } from 'zod';
import {
  envelopeShape,
  finite,
  modelKindSchema,
  nameSchema,
  SCHEMA_VERSION,
  textSchema,
  timestampSchema,
} from './common.js';
import { idSchema } from '../ids.js';

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lower-case hex digits' });
const base64Schema = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'must be base64' });
const shapeSchema = z.array(z.number().int().min(1).nullable()).min(1).max(8);

export const artifactRefSchema = z.strictObject({
  /** file name inside the model's directory or store */
  file: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
  sha256: sha256Schema,
  bytes: z.number().int().min(1),
});
export type ArtifactRef = z.infer<typeof artifactRefSchema>;

/** How the edge cuts raw samples into windows for this model. */
export const windowSpecSchema = z.strictObject({
  lengthMs: z.number().int().min(10).max(3_600_000),
  hopMs: z.number().int().min(10).max(3_600_000),
  /** sensors the window takes, in input order */
  sensors: z.array(nameSchema).min(1).max(64),
  /** resample rate for 1-D CNN inputs, Hz */
  sampleRate: z.number().positive().max(100_000).optional(),
});
export type WindowSpec = z.infer<typeof windowSpecSchema>;

export const modelManifestSchema = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  name: idSchema,
  kind: modelKindSchema,
  /**
   * anomaly models: the detector family inside the graph (`kmeans`: K-means in whitened principal
   * scores; `pca`: Hotelling's T²), both plus SPE. The edge runs either the same way.
   */
  detector: z.enum(['kmeans', 'pca']).optional(),
  /** monotonically increasing per model name */
  version: z.number().int().min(1),
  createdAt: timestampSchema,
  /** machine group or device class the model is for */
  group: idSchema.optional(),
  input: z.strictObject({
    name: z.string().min(1).max(64),
    shape: shapeSchema,
    dtype: z.literal('float32'),
    featureNames: z.array(nameSchema).max(512).optional(),
    window: windowSpecSchema.optional(),
    /** robust scaling the graph applies: (x - center) / scale */
    scaling: z
      .strictObject({ center: z.array(finite).max(512), scale: z.array(z.number().positive()).max(512) })
      .optional(),
  }),
  outputs: z
    .array(z.strictObject({ name: z.string().min(1).max(64), shape: shapeSchema }))
    .min(1)
    .max(8),
  classes: z.array(nameSchema).min(2).max(256).optional(),
  /** anomaly threshold on the smoothed score */
  threshold: finite.optional(),
  smoothing: z
    .strictObject({
      /** exponential moving average weight of the newest score, (0, 1] */
      alpha: z.number().gt(0).max(1),
      /** ms the smoothed score must stay above threshold before an event opens */
      openAfterMs: z.number().int().min(0),
      /** ms it must stay below before the event closes */
      closeAfterMs: z.number().int().min(0),
    })
    .optional(),
  training: z.strictObject({
    from: timestampSchema.optional(),
    to: timestampSchema.optional(),
    samples: z.number().int().min(0),
    source: textSchema(256),
    backend: textSchema(64).optional(),
    durationMs: z.number().min(0).optional(),
  }),
  metrics: z.record(nameSchema, finite),
  quantization: z
    .strictObject({
      format: z.literal('qdq'),
      weights: z.literal('int8-per-channel-symmetric'),
      activations: z.enum(['int8', 'uint8']),
      calibration: z.enum(['minmax', 'percentile']),
      samples: z.number().int().min(1),
    })
    .optional(),
  artifact: artifactRefSchema,
  /** other encodings of the same model, e.g. `int8` */
  variants: z.record(nameSchema, artifactRefSchema).optional(),
  signature: z
    .strictObject({
      alg: z.literal('ed25519'),
      keyId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
      value: base64Schema,
    })
    .optional(),
});
export type ModelManifest = z.infer<typeof modelManifestSchema>;

/**
 * A signed permission to go back to an older version of a model on some devices: the edge refuses a
 * version lower than the highest it applied unless the desired message carries a grant, signed by a
 * trusted key, for that model, version and device, not yet expired. The signature covers the
 * canonical JSON of every other field.
 */
export const rollbackGrantSchema = z.strictObject({
  model: idSchema,
  version: z.number().int().min(1),
  devices: z.array(idSchema).min(1).max(10_000),
  issuedAt: timestampSchema,
  expiresAt: timestampSchema,
  signature: z.strictObject({
    alg: z.literal('ed25519'),
    keyId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
    value: base64Schema,
  }),
});
export type RollbackGrant = z.infer<typeof rollbackGrantSchema>;

const urlSchema = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' });

/** Channel `model/desired` (retained, cloud only): the model a device should run. */
export const desiredModelSchema = z.strictObject({
  ...envelopeShape,
  rolloutId: idSchema,
  manifest: modelManifestSchema,
  /**
   * where the registry serves the artifact; informational: an edge fetches artifacts by content
   * address from its own configured registry only, never from a URL in a message
   */
  artifactUrl: urlSchema,
  variantUrls: z.record(nameSchema, urlSchema).optional(),
  /** present when this is a signed rollback to an older version */
  rollbackGrant: rollbackGrantSchema.optional(),
});
export type DesiredModel = z.infer<typeof desiredModelSchema>;

/** Channel `label`: an engineer's verdict on an event, a frame or a time range, for retraining. */
export const labelSchema = z.strictObject({
  ...envelopeShape,
  labelId: idSchema,
  /** `evidence`: a piece of edge evidence or an uploaded image, by its evidenceId */
  target: z.enum(['anomaly', 'inspection', 'window', 'evidence']),
  /** eventId, frameId or evidenceId the label is about */
  refId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .optional(),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  label: nameSchema,
  by: textSchema(64),
  comment: textSchema(2000).optional(),
});
export type Label = z.infer<typeof labelSchema>;
