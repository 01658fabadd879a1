import { z } from 'zod';
import { EXECUTION_PROVIDERS, idSchema, nameSchema } from '@takt/contracts';
import { loadConfig } from '@takt/runtime';
import { evidenceConfigSchema } from './evidence/evidence-config.js';
import { modbusSourceSchema } from './intake/modbus/modbus-config.js';
import { opcuaSourceSchema } from './intake/opcua/opcua-config.js';
import { sparkplugSchema } from './northbound/sparkplug/sparkplug-config.js';
import { DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES, DEFAULT_SYNC_DELAY_MS } from './outbox/outbox.js';
import { DEFAULT_MAX_INFLIGHT } from './upstream/publisher.js';

const addressSchema = z.strictObject({ site: idSchema, line: idSchema, device: idSchema });
const brokerSchema = z.strictObject({
  /** broker URL, e.g. mqtt://127.0.0.1:1883 */
  url: z.string().regex(/^(mqtts?|wss?|tcp):\/\/\S+$/),
  username: z.string().optional(),
  password: z.string().optional(),
  /** MQTT client id (upstream); default takt-edge-<random> */
  clientId: z.string().max(128).optional(),
});

/** The cloud broker results go to. */
export const upstreamSchema = brokerSchema
  .extend({
    /** unacknowledged QoS 1 publishes at once; default 64 */
    maxInflight: z.number().int().min(1).max(65_535).default(DEFAULT_MAX_INFLIGHT),
    /**
     * ms, the ceiling of the first reconnect delay; default 1000. Reconnects back off exponentially
     * with full jitter: attempt n waits a random time in [0, min(reconnectMaxMs, reconnectMs × 2ⁿ)),
     * so agents that lost the same broker do not come back in step
     */
    reconnectMs: z.number().int().min(10).default(1_000),
    /** ms, the highest reconnect delay (and so the longest wait after the broker is back); default 30000 */
    reconnectMaxMs: z.number().int().min(10).default(30_000),
    /** ms a publish may wait for its PUBACK before the connection is dropped and the outbox replays; default 30000 */
    pubackTimeoutMs: z.number().int().min(100).default(30_000),
  })
  .refine((u) => u.reconnectMaxMs >= u.reconnectMs, {
    message: 'reconnectMaxMs must be at least reconnectMs',
    path: ['reconnectMaxMs'],
  });

/** takt-edge configuration (JSON file; every key overridable with TAKT_EDGE_*, `__` nesting). */
export const agentConfigSchema = z.strictObject({
  /** folder for the outbox, model files and state; created when missing */
  dataDir: z.string().min(1),
  /** plant-local broker the raw samples and frames arrive on */
  source: brokerSchema.extend({
    /** subscription QoS; default 0 */ qos: z.union([z.literal(0), z.literal(1)]).default(0),
  }),
  /** cloud broker results go to; default: the source broker (with the defaults below) */
  upstream: upstreamSchema.optional(),
  /** devices served: a list of addresses … */
  devices: z.array(addressSchema).min(1).max(1_000).optional(),
  /** … or every device under a site/line */
  deviceFilter: z.strictObject({ site: idSchema.optional(), line: idSchema.optional() }).optional(),
  /** window used before any model gives one (features are published for the cloud to train on) */
  window: z
    .strictObject({
      lengthMs: z.number().int().min(10).default(1_000),
      hopMs: z.number().int().min(10).default(500),
      sensors: z.array(nameSchema).min(1).optional(),
    })
    .prefault({}),
  /** ms per downsampled telemetry point; default 1000 (0 turns telemetry off) */
  telemetryIntervalMs: z.number().int().min(0).default(1_000),
  /**
   * telemetry intervals per upstream message; default 1. Above 1 the edge batches intervals into one
   * message (`earlier` rows): fewer MQTT messages for the broker and ingestor, at the cost of the
   * dashboard's live telemetry arriving this many intervals at a time
   */
  telemetryBatch: z.number().int().min(1).max(600).default(1),
  /**
   * per device, input waiting to be processed: past `rawBatches` queued raw batches (default 1000)
   * the newest are dropped, past `frames` waiting camera frames (default 64) the oldest; each drop is
   * counted and reported in the device's state as INTAKE_OVERLOADED — a source faster than the box
   * can follow costs bounded memory instead of all of it
   */
  backlog: z
    .strictObject({ rawBatches: z.number().int().min(1).default(1_000), frames: z.number().int().min(1).default(64) })
    .prefault({}),
  /** ms between heartbeats per device; default 5000 */
  heartbeatIntervalMs: z.number().int().min(100).default(5_000),
  /** ms between periodic retained state messages per device; default 30000 */
  stateIntervalMs: z.number().int().min(100).default(30_000),
  outbox: z
    .strictObject({
      /** disk (durable, default) or memory */
      kind: z.enum(['disk', 'memory']).default('disk'),
      /** bytes of pending entries before telemetry/heartbeat/features/state are shed; default 64 MiB */
      maxBytes: z.number().int().min(1_024).default(DEFAULT_MAX_BYTES),
      /** bytes past which even anomaly events are refused; default 4 × maxBytes */
      hardMaxBytes: z.number().int().min(1_024).optional(),
      /** segment file size, bytes; default 4 MiB */
      segmentBytes: z.number().int().min(1_024).default(DEFAULT_SEGMENT_BYTES),
      /** ms an append waits to share an fsync; default 2 */
      syncDelayMs: z.number().min(0).default(DEFAULT_SYNC_DELAY_MS),
    })
    .prefault({}),
  inference: z
    .strictObject({
      /** execution providers in order of preference; default ["cpu"] */
      providers: z.array(z.enum(EXECUTION_PROVIDERS)).min(1).default(['cpu']),
      /** another onnxruntime build (path to its package or entry file), e.g. a Jetson build with CUDA/TensorRT */
      onnxruntimePath: z.string().optional(),
      /** threads per operator; default 1 */
      intraOpThreads: z.number().int().min(1).max(64).default(1),
      /** ms a model may take on the smoke-test window before it is refused; default 500 */
      smokeBudgetMs: z.number().min(1).default(500),
      /** frames classified in one run when several wait; default 8 */
      visionMaxBatch: z.number().int().min(1).max(256).default(8),
      /** consecutive failed runs after which a new model is rolled back; default 3 */
      maxFailedRuns: z.number().int().min(1).default(3),
      /**
       * a small PNG of the frame on each inspection, for engineers: `defects` (default) on frames classified as
       * anything but a good part or under `evidence.frames.uncertainBelow`, `all`, or `none`
       */
      thumbnails: z.enum(['defects', 'all', 'none']).default('defects'),
      /** the thumbnail's longer side, px; default 64 (about 3 KB of base64) */
      thumbnailPx: z.number().int().min(8).max(128).default(64),
    })
    .prefault({}),
  /** hysteresis used when a manifest carries no `smoothing`/`threshold` */
  anomaly: z
    .strictObject({
      alpha: z.number().gt(0).max(1).default(0.3),
      openAfterMs: z.number().int().min(0).default(500),
      closeAfterMs: z.number().int().min(0).default(3_000),
      threshold: z.number().default(3),
    })
    .prefault({}),
  /**
   * evidence kept for training CNNs (frames the vision model is unsure of and a sample of the rest,
   * raw windows around anomaly onsets and now and then a healthy one), within a per-device byte
   * budget and its own cap in the outbox; defaults in evidence/evidence-config.ts (README "Evidence")
   */
  evidence: evidenceConfigSchema,
  /** Modbus TCP (or RTU) intakes: connections, their devices' register maps and poll groups (deploy/edge/README.md) */
  modbus: z.array(modbusSourceSchema).max(64).optional(),
  /** OPC UA intakes: endpoints, security, their devices' node ids (deploy/edge/README.md) */
  opcua: z.array(opcuaSourceSchema).max(64).optional(),
  /** Sparkplug B northbound: publish the devices to a SCADA host's broker (deploy/edge/README.md); default off */
  sparkplug: sparkplugSchema.optional(),
  /** Prometheus `GET /metrics` on host:port (port 0 picks a free one); default off */
  metrics: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535) })
    .optional(),
  rollout: z
    .strictObject({
      /** trusted Ed25519 public keys: key id → SPKI PEM */
      trustedKeys: z.record(z.string(), z.string()).default({}),
      /** folder of `<keyId>.pub` files, added to trustedKeys */
      trustedKeysDir: z.string().optional(),
      /** bearer token for the artifact download; sent only to `registryUrl` */
      token: z.string().optional(),
      /**
       * the model registry's base URL (the trainer service, e.g. `https://trainer:8090`): artifacts are
       * fetched from it by content hash, never from a URL in a message; without it rollouts are refused
       */
      registryUrl: z
        .string()
        .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')
        .optional(),
      /** bytes a model artifact may have, checked on the signed manifest and while downloading; default 256 MiB */
      maxArtifactBytes: z.number().int().min(1).default(268_435_456),
      /** download retries; default 5 */
      downloadRetries: z.number().int().min(0).max(50).default(5),
      /** ms a model download may take in all, retries included, before it is given up and tried again when the desired model comes back; default 600000 */
      downloadTimeoutMs: z.number().int().min(100).default(600_000),
    })
    .prefault({}),
});
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Reads the config file and TAKT_EDGE_* overrides; throws ConfigError naming the key. */
export function loadAgentConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const config = loadConfig(agentConfigSchema, { file, envPrefix: 'TAKT_EDGE_', env });
  if (!config.devices && !config.deviceFilter) {
    return { ...config, deviceFilter: {} };
  }
  return config;
}
