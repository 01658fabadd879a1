import { z } from 'zod';
import { FAULT_KINDS, IMAGE_ENCODINGS, idSchema, nameSchema } from '@takt/contracts';

export const MACHINE_TYPES = ['pump', 'motor', 'fan', 'press', 'cnc-spindle', 'camera'] as const;
export type MachineType = (typeof MACHINE_TYPES)[number];
export const SENSOR_KINDS = ['vibration', 'temperature', 'current', 'pressure', 'flow', 'rpm'] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];
export const DEFECT_CLASSES = ['ok', 'scratch', 'pit', 'crack', 'stain'] as const;
export type DefectClass = (typeof DEFECT_CLASSES)[number];

const seconds = z.number().finite().min(0);
const fraction = z.number().min(0).max(1);
const pair = (inner: z.ZodNumber) =>
  z.tuple([inner, inner]).refine(([a, b]) => a <= b, { message: 'expected [min, max] with min <= max' });

/** Outdoor/hall temperature around a site: a daily cycle plus slow weather. */
export const ambientSchema = z.strictObject({
  /** daily mean, °C; default 22 */
  meanC: z.number().finite().default(22),
  /** half the day–night swing, °C; default 4 */
  dailyAmplitudeC: z.number().min(0).max(30).default(4),
  /** hour of day (UTC) of the warmest moment; default 15 */
  peakHour: z.number().min(0).max(24).default(15),
});

/** One sensor on a machine. The key in `sensors` is its name in published batches. */
export const sensorSchema = z.strictObject({
  /** what it measures; default: the sensor's name when that is a kind */
  kind: z.enum(SENSOR_KINDS).optional(),
  /** samples per second; `rate × batchMs / 1000` must be a whole number */
  rate: z.number().positive().max(50_000),
  /** standard deviation of the sensor's own noise, in its unit; default per kind */
  noise: z.number().min(0).optional(),
});

/** A fault injected at a known time. Times are seconds after the simulation start. */
export const faultSchema = z.strictObject({
  /** id in the truth channel; default `<machine>-f<index>` */
  id: idSchema.optional(),
  kind: z.enum(FAULT_KINDS),
  /** s after the simulation start */
  start: seconds,
  /** s the fault lasts */
  duration: z.number().positive(),
  /** 0..1 level the fault reaches; default 1 */
  severity: fraction.default(1),
  /** affected sensor: required for sensor-stuck and sensor-drift; for dropout, omitted = the whole machine goes silent */
  sensor: nameSchema.optional(),
  /** s over which the fault grows to its severity; default half the duration for bearing-wear, imbalance, overheating, else 0 */
  rampS: seconds.optional(),
});

/** Faults drawn at random: a Poisson process per machine. */
export const randomFaultsSchema = z.strictObject({
  /** mean faults per machine per hour */
  ratePerHour: z.number().min(0).max(3600),
  /** kinds to draw from; default every kind the machine can show */
  kinds: z.array(z.enum(FAULT_KINDS)).min(1).optional(),
  /** [min, max] duration, s; default [30, 180] */
  durationS: pair(z.number().positive()).default([30, 180]),
  /** [min, max] severity; default [0.5, 1] */
  severity: pair(fraction).default([0.5, 1]),
});

/** Parts photographed by a camera station. */
export const cameraSchema = z.strictObject({
  /** frames per second; default 2 */
  fps: z.number().positive().max(100).default(2),
  /** image width and height, px; default 96 */
  size: z.number().int().min(32).max(256).default(96),
  encoding: z.enum(IMAGE_ENCODINGS).default('png'),
  /** share of parts with a defect; default 0.2 */
  defectRate: fraction.default(0.2),
});

const machineShape = {
  id: idSchema,
  type: z.enum(MACHINE_TYPES),
  /** rated shaft speed, rpm; default per type */
  nominalRpm: z.number().positive().max(60_000).optional(),
  /** current at full load, A; default per type */
  ratedCurrentA: z.number().positive().optional(),
  /** average load 0..1; default 0.6 */
  loadMean: fraction.optional(),
  /** s, period of the production cycle; default 120 */
  loadCycleS: z.number().positive().optional(),
  /** s, first-order thermal time constant; default per type */
  thermalTimeConstantS: z.number().positive().optional(),
  /** °C above ambient at full load, steady state; default per type */
  temperatureRiseC: z.number().positive().optional(),
  /** Hz, structural resonance excited by bearing impacts; default 2300 (capped at 0.45 × the vibration rate) */
  resonanceHz: z.number().positive().optional(),
  sensors: z.record(nameSchema, sensorSchema).default({}),
  camera: cameraSchema.optional(),
  faults: z.array(faultSchema).default([]),
  randomFaults: randomFaultsSchema.optional(),
  /** serve this machine over OPC UA or Modbus (with `takt-sim run --serve`) instead of publishing raw batches over MQTT; default: the line's */
  serve: z.enum(['opcua', 'modbus']).optional(),
};
export const machineSchema = z.strictObject(machineShape);

export const lineSchema = z.strictObject({
  id: idSchema,
  /** serve the line's machines over OPC UA or Modbus (with `takt-sim run --serve`) */
  serve: z.enum(['opcua', 'modbus']).optional(),
  machines: z.array(machineSchema).min(1),
});
export const siteSchema = z.strictObject({
  id: idSchema,
  ambient: ambientSchema.optional(),
  lines: z.array(lineSchema).min(1),
});

export const plantSchema = z.strictObject({
  name: z.string().max(128).optional(),
  description: z.string().max(4096).optional(),
  /** ms between published batches; default 100 */
  batchMs: z.number().int().min(10).max(10_000).default(100),
  ambient: ambientSchema.prefault({}),
  /** random faults for every machine without its own `randomFaults` */
  randomFaults: randomFaultsSchema.optional(),
  sites: z.array(siteSchema).min(1),
});

export type PlantFile = z.output<typeof plantSchema>;
export type PlantFileInput = z.input<typeof plantSchema>;
export type MachineSpec = z.output<typeof machineSchema>;
export type SensorSpec = z.output<typeof sensorSchema>;
export type FaultSpec = z.output<typeof faultSchema>;
export type RandomFaultsSpec = z.output<typeof randomFaultsSchema>;
export type CameraSpec = z.output<typeof cameraSchema>;
export type AmbientSpec = z.output<typeof ambientSchema>;
