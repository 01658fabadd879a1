import { idSchema, nameSchema } from '@takt/contracts';
import { ConfigError, loadConfig } from '@takt/runtime';
import { z } from 'zod';
import { evidenceConfigSchema } from './evidence-config.js';

export const TRAINER_ENV_PREFIX = 'TAKT_TRAINER_';

const positiveMs = z.number().int().min(1);

const tokenSchema = z.strictObject({
  /** the bearer token itself; at least 16 characters */
  token: z.string().min(16).max(512),
  /** `reader`: GET routes (edge agents, dashboard reads); `operator`: also POST jobs and rollouts */
  role: z.enum(['reader', 'operator']),
});

const DAY_MS = 86_400_000;

/** What the service's CNN jobs share: when they run automatically and how the candidate is judged. */
const cnnJobShape = {
  /** fewest labelled samples (of at least two classes) before the first model is trained automatically; 0 = only on request */
  minLabelled: z.number().int().min(0),
  /** fewest samples any class needs */
  minPerClass: z.number().int().min(2),
  /** new engineer or upload labels since the last job that start a retraining; 0 = never */
  retrainAfterLabels: z.number().int().min(0),
  /** ms of evidence a job reads, back from now */
  lookbackMs: positiveMs,
  /** most samples a job reads (newest first) */
  maxSamples: z.number().int().min(10).max(100_000),
  /** how much lower (absolute accuracy) a candidate may score than the current model on the same held-out samples and still pass */
  gateSlack: z.number().min(0).max(0.5),
  /** most training epochs */
  epochs: z.number().int().min(1).max(10_000),
  /** ms between scheduled retrainings (once a first model exists); 0 = off (default) */
  scheduleMs: z.number().int().min(0),
};

/**
 * The vision CNN job (`cnn-vision`): labelled camera frames from the evidence store. Defaults are the
 * `vision fit` CLI's (measured on real magnetic-tile photographs); a demo may shrink `size` and `epochs`.
 */
const visionJobSchema = z
  .strictObject({
    model: idSchema.default('plant-vision'),
    ...cnnJobShape,
    minLabelled: cnnJobShape.minLabelled.default(60),
    minPerClass: cnnJobShape.minPerClass.default(5),
    retrainAfterLabels: cnnJobShape.retrainAfterLabels.default(20),
    lookbackMs: cnnJobShape.lookbackMs.default(30 * DAY_MS),
    maxSamples: cnnJobShape.maxSamples.default(5_000),
    gateSlack: cnnJobShape.gateSlack.default(0.02),
    epochs: cnnJobShape.epochs.default(80),
    scheduleMs: cnnJobShape.scheduleMs.default(0),
    /** model input is size×size grayscale; default 128 */
    size: z.number().int().min(16).max(512).default(128),
    /** early-stopping patience, epochs; default 20 */
    patience: z.number().int().min(1).default(20),
    /** held-out test share (by evidence id hash, stable as the set grows); default 0.3 */
    holdout: z.number().gt(0).lt(0.9).default(0.3),
  })
  .prefault({});

/** The fault CNN job (`cnn-fault`): labelled raw windows from the evidence store. */
const faultJobSchema = z
  .strictObject({
    model: idSchema.default('plant-fault'),
    ...cnnJobShape,
    minLabelled: cnnJobShape.minLabelled.default(60),
    minPerClass: cnnJobShape.minPerClass.default(10),
    retrainAfterLabels: cnnJobShape.retrainAfterLabels.default(10),
    lookbackMs: cnnJobShape.lookbackMs.default(30 * DAY_MS),
    maxSamples: cnnJobShape.maxSamples.default(2_000),
    gateSlack: cnnJobShape.gateSlack.default(0.02),
    epochs: cnnJobShape.epochs.default(30),
    scheduleMs: cnnJobShape.scheduleMs.default(0),
    /** ms of raw samples one classified window spans; default 2000 */
    windowMs: z.number().int().min(10).max(3_600_000).default(2_000),
    /** samples per sensor after resampling; default 128 */
    length: z.number().int().min(16).max(65_536).default(128),
    /** sensors, in channel order; default: the sensor set most labelled windows share */
    sensors: z.array(nameSchema).min(1).max(64).optional(),
    /** share of labelled windows held out for validation and the gate; default 0.2 */
    valSplit: z.number().gt(0).lt(0.9).default(0.2),
  })
  .prefault({});

const trainingSchema = z
  .strictObject({
    /** model name trained and rolled out by the scheduler and drift retraining; default `plant-anomaly` */
    model: idSchema.default('plant-anomaly'),
    /** machine group written into the manifest (optional) */
    group: idSchema.optional(),
    /** ms between scheduled retrainings; 0 = off (default) */
    scheduleMs: z.number().int().min(0).default(0),
    /** ms of healthy feature data that must exist before the first model is trained automatically; 0 = off (default) */
    firstTrainAfterMs: z.number().int().min(0).default(0),
    /** ms between checks for the first-model condition; default 30_000 */
    pollMs: positiveMs.default(30_000),
    /** ms of history a scheduled or API job (without from/to) trains on; default 3_600_000 (1 h) */
    lookbackMs: positiveMs.default(3_600_000),
    /** ms an API job's `from`..`to` may span at most (a longer request is a 400); default 2_592_000_000 (30 days) */
    maxJobSpanMs: positiveMs.default(30 * 86_400_000),
    /** fewest healthy feature windows a job needs; default 200 */
    minWindows: z.number().int().min(10).default(200),
    /** share of healthy windows whose smoothed score may exceed the threshold; default 0.001 */
    targetFalseAlarmRate: z.number().gt(0).lt(0.5).default(0.001),
    /** share of each device's newest healthy windows held out to evaluate candidate and current model; default 0.2 */
    evaluationFraction: z.number().gt(0).lt(0.5).default(0.2),
    /** how much worse (absolute rate) a candidate may be on the evaluation data and still count as "as good"; default 0.002 */
    gateSlack: z.number().min(0).max(0.5).default(0.002),
    /** PRNG seed of k-means++; default 1 */
    seed: z.number().int().default(1),
    /** after a scheduled, first or drift training succeeds, roll it out to every device seen in `state` */
    autoRollout: z
      .strictObject({
        /** how many devices (sorted by id) get it first; default 1 */
        canary: z.number().int().min(1).default(1),
        /** ms the canaries are watched before promotion; default 60_000 */
        watchMs: positiveMs.default(60_000),
        /** `auto` (default): the rollout starts at once; `approve`: it waits until an admin approves it (`POST /api/approvals/:model/:version/approve`, the dashboard's Models page) */
        approval: z.enum(['auto', 'approve']).default('auto'),
      })
      .optional(),
    /** the vision CNN job */
    vision: visionJobSchema,
    /** the fault CNN job */
    fault: faultJobSchema,
    /** ms between checks whether a CNN has enough (new) labels to train; default 30_000 */
    labelPollMs: positiveMs.default(30_000),
  })
  .prefault({});

const rolloutSchema = z
  .strictObject({
    /** default ms a rollout watches its canaries when the request names none; default 60_000 */
    watchMs: positiveMs.default(60_000),
    /** anomaly events opened by one canary during the watch that fail the rollout; default 5 */
    maxAnomalyEvents: z.number().int().min(1).default(5),
    /** ms without a heartbeat after which a canary counts as unhealthy (0 = heartbeats not required); default 0 */
    heartbeatTimeoutMs: z.number().int().min(0).default(0),
  })
  .prefault({});

const driftSchema = z
  .strictObject({
    /** ms between drift checks; 0 = off (default) */
    checkEveryMs: z.number().int().min(0).default(0),
    /** ms of recent scores compared with the training reference; default 600_000 (10 min) */
    windowMs: positiveMs.default(600_000),
    /** fewest scored windows a device needs for a check; default 50 */
    minSamples: z.number().int().min(10).default(50),
    /** population stability index above which a device has drifted; default 0.25 */
    psiThreshold: z.number().gt(0).default(0.25),
    /** enqueue a retraining job when a device drifted; default false */
    retrain: z.boolean().default(false),
  })
  .prefault({});

export const trainerServiceConfigSchema = z.strictObject({
  /** interface the HTTP API listens on; default `0.0.0.0` */
  host: z.string().min(1).default('0.0.0.0'),
  /** HTTP port; default 8090 (0 = any free port) */
  port: z.number().int().min(0).max(65535).default(8090),
  /** base URL edge agents download artifacts from; default `http://<host>:<port>` */
  publicUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
    .optional(),
  /** model registry folder (blobs, manifests, and the service's `trainer-state.json`) */
  registryDir: z.string().min(1),
  /**
   * the signer: `{ socket }` of a `takt-registry signer` process that holds the Ed25519 key (the
   * service then never holds it), or, for a single trusted host, `{ keyId, privateKeyFile }` (mode 0600)
   */
  signer: z.strictObject({ socket: z.string().min(1) }).optional(),
  /** Ed25519 key the service signs with itself when no `signer` is configured */
  signingKey: z
    .strictObject({ keyId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), privateKeyFile: z.string().min(1) })
    .optional(),
  /** API bearer tokens; at least one */
  tokens: z.array(tokenSchema).min(1),
  influx: z.strictObject({
    url: z.string().url(),
    database: z.string().min(1).default('takt'),
    username: z.string().optional(),
    password: z.string().optional(),
  }),
  /** broker connection, as a `service` user */
  mqtt: z.strictObject({
    url: z.string().regex(/^(mqtts?|wss?):\/\/\S+$/, { message: 'must be an mqtt(s):// or ws(s):// URL' }),
    username: z.string().min(1),
    password: z.string().min(1),
  }),
  training: trainingSchema,
  rollout: rolloutSchema,
  drift: driftSchema,
  /** evidence store: blob folder, retention, upload limits, label vocabulary (evidence-config.ts) */
  evidence: evidenceConfigSchema,
});

export type TrainerServiceConfig = z.output<typeof trainerServiceConfigSchema>;
export type TrainerServiceConfigInput = z.input<typeof trainerServiceConfigSchema>;

/** Reads the service config: defaults, then `file`, then `TAKT_TRAINER_*` variables (`__` nests). Throws `ConfigError`. */
export function loadTrainerServiceConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): TrainerServiceConfig {
  const config = loadConfig(trainerServiceConfigSchema, { file, envPrefix: TRAINER_ENV_PREFIX, env });
  if (!config.signer === !config.signingKey) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'exactly one of config keys "signer" (a takt-registry signer socket) and "signingKey" must be set',
      config.signer ? 'signingKey' : 'signer',
    );
  }
  return config;
}

/** The base URL written into `model/desired.artifactUrl`. */
export function publicUrlOf(config: TrainerServiceConfig, port: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
