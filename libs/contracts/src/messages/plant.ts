import { z } from 'zod';
import { envelopeShape, finite, nameSchema, textSchema, timestampSchema } from './common.js';
import { idSchema } from '../ids.js';

/** Limits of a raw sample batch. */
export const RAW_LIMITS = {
  maxRateHz: 100_000,
  maxSamples: 65_536,
  maxSensors: 64,
  maxUnit: 16,
  maxMachineType: 32,
} as const;

/** One sensor's samples in a batch, evenly spaced at `rate` Hz from the batch's `t0`. */
export const sensorSeriesSchema = z.strictObject({
  /** samples per second */
  rate: z.number().positive().max(RAW_LIMITS.maxRateHz),
  unit: textSchema(RAW_LIMITS.maxUnit).optional(),
  values: z.array(finite).min(1).max(RAW_LIMITS.maxSamples),
});
export type SensorSeries = z.infer<typeof sensorSeriesSchema>;

/** Channel `raw`: a batch of raw samples from one machine (plant-local). */
export const rawSampleBatchSchema = z.strictObject({
  ...envelopeShape,
  /** ms since epoch of the first sample of every series */
  t0: timestampSchema,
  machineType: textSchema(RAW_LIMITS.maxMachineType).optional(),
  sensors: z
    .record(nameSchema, sensorSeriesSchema)
    .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= RAW_LIMITS.maxSensors, {
      message: `1 to ${RAW_LIMITS.maxSensors} sensors`,
    }),
});
export type RawSampleBatch = z.infer<typeof rawSampleBatchSchema>;

export const IMAGE_ENCODINGS = ['gray8', 'png'] as const;

/** Channel `camera`: one grayscale frame from a camera station (plant-local). */
export const cameraFrameSchema = z
  .strictObject({
    ...envelopeShape,
    frameId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
    width: z.number().int().min(1).max(1024),
    height: z.number().int().min(1).max(1024),
    encoding: z.enum(IMAGE_ENCODINGS),
    /** base64: `gray8` is width×height bytes row-major, `png` a grayscale PNG file */
    data: z
      .string()
      .max(1_400_000)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'data must be base64' }),
    /** ground truth, only from simulators */
    truth: nameSchema.optional(),
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
export type CameraFrame = z.infer<typeof cameraFrameSchema>;

export const FAULT_KINDS = [
  'bearing-wear',
  'imbalance',
  'overheating',
  'cavitation',
  'sensor-stuck',
  'sensor-drift',
  'dropout',
] as const;
export const faultKindSchema = z.enum(FAULT_KINDS);
export type FaultKind = z.infer<typeof faultKindSchema>;

/** Channel `truth`: the simulator's ground truth — a fault started or ended. */
export const faultTruthSchema = z.strictObject({
  ...envelopeShape,
  faultId: idSchema,
  fault: faultKindSchema,
  state: z.enum(['start', 'end']),
  /** severity the fault reaches, 0..1 */
  severity: z.number().min(0).max(1).optional(),
  sensor: nameSchema.optional(),
  note: textSchema(256).optional(),
});
export type FaultTruth = z.infer<typeof faultTruthSchema>;

export { finite };
