import { z } from 'zod';
import { idSchema } from '../ids.js';

/** The only schema version this build speaks. A message with any other version is refused. */
export const SCHEMA_VERSION = 1 as const;

/** Bounds of a timestamp: ms since the Unix epoch, so a seconds-vs-ms mix-up is caught (2001..2286). */
export const TS_MIN = 1_000_000_000_000;
export const TS_MAX = 9_999_999_999_999;
export const timestampSchema = z.number().int().min(TS_MIN).max(TS_MAX);
export const seqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const finite = z.number().finite();
/** Free text a person wrote or a process reported; bounded. */
export const textSchema = (max = 1024) => z.string().max(max);
/** Sensor, feature and class names: short, printable, no MQTT wildcards or separators. */
export const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const nameSchema = z.string().regex(NAME_PATTERN, { message: 'name must match [A-Za-z0-9_.:-]{1,64}' });
export const numberMap = (maxKeys: number) =>
  z
    .record(nameSchema, finite)
    .refine((m) => Object.keys(m).length <= maxKeys, { message: `at most ${maxKeys} entries` });

/** Fields every message carries: which device, when, and its place in the device's sequence. */
export const envelopeShape = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  deviceId: idSchema,
  ts: timestampSchema,
  /** monotonic per device and channel, so a gap is detectable */
  seq: seqSchema,
};

export const modelRefSchema = z.strictObject({
  name: idSchema,
  version: z.number().int().min(1),
});
export type ModelRef = z.infer<typeof modelRefSchema>;

export const MODEL_KINDS = ['kmeans-anomaly', 'cnn-fault', 'cnn-vision'] as const;
export const modelKindSchema = z.enum(MODEL_KINDS);
export type ModelKind = z.infer<typeof modelKindSchema>;

export const EXECUTION_PROVIDERS = ['tensorrt', 'cuda', 'webgpu', 'cpu'] as const;
export const executionProviderSchema = z.enum(EXECUTION_PROVIDERS);
export type ExecutionProvider = z.infer<typeof executionProviderSchema>;
