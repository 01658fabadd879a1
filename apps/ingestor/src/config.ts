import { topicFilter, type Channel } from '@takt/contracts';
import { loadConfig } from '@takt/runtime';
import { z } from 'zod';

/** The channels an ingestor stores. */
export const INGESTED_CHANNELS = [
  'telemetry',
  'features',
  'anomaly',
  'inspection',
  'state',
  'heartbeat',
  'label',
  'evidence',
  'truth',
] as const satisfies readonly Channel[];
/** Default filters: every stored channel of every device. Split the topic space across ingestors by site or device. */
export const DEFAULT_FILTERS = INGESTED_CHANNELS.map((channel) => topicFilter({ channel }));

const positiveInt = z.number().int().min(1);

export const ingestorConfigSchema = z.strictObject({
  broker: z
    .strictObject({
      /** `mqtt://host:port` (or `mqtts://`, `ws://`) */
      url: z.string().regex(/^(mqtts?|wss?|tcp):\/\/\S+$/, 'must be an mqtt://, mqtts:// or ws:// URL'),
      username: z.string().min(1).optional(),
      password: z.string().optional(),
      /**
       * fixed client id: the broker keeps this session (subscriptions, unacknowledged messages) across restarts;
       * default `<username>-1` (takt-broker binds client ids to users), `takt-ingestor-1` without a user name
       */
      clientId: z.string().min(1).max(128).optional(),
      /** topic filters to subscribe (QoS 1); default every ingested channel `takt/v1/+/+/+/<channel>` */
      filters: z.array(z.string().min(1)).min(1).default(DEFAULT_FILTERS),
      /** s between keepalive pings; default 30 */
      keepaliveS: z.number().int().min(1).max(65_535).default(30),
      /** ms between reconnect attempts; default 1_000 */
      reconnectMs: positiveInt.default(1_000),
      /** ms to wait for the SUBACK after connecting; without one the ingestor drops the connection and reconnects (a broker that lost the request would otherwise leave it connected and deaf); default 10_000 */
      subscribeTimeoutMs: positiveInt.default(10_000),
    })
    .transform((b) => ({ ...b, clientId: b.clientId ?? `${b.username ?? 'takt-ingestor'}-1` })),
  influx: z
    .strictObject({
      /** influxd base URL; default `http://127.0.0.1:8086` */
      url: z.string().default('http://127.0.0.1:8086'),
      /** database; default `takt` */
      database: z.string().min(1).default('takt'),
      username: z.string().optional(),
      password: z.string().optional(),
      /** ms one write may take before it counts as failed; default 10_000 */
      timeoutMs: positiveInt.default(10_000),
    })
    .prefault({}),
  batch: z
    .strictObject({
      /** points per write; a batch is written when it holds this many; default 5_000 */
      maxPoints: positiveInt.default(5_000),
      /** ms the oldest point of a batch may wait before the batch is written anyway; default 250 */
      maxAgeMs: positiveInt.default(250),
      /** writes in flight to influxd at once; default 4 */
      concurrency: positiveInt.max(64).default(4),
    })
    .prefault({}),
  buffer: z
    .strictObject({
      /** points held in memory (unacknowledged) while influxd is slow or down; past it batches spill to the disk spool; default 100_000 */
      memoryPoints: positiveInt.default(100_000),
      /** directory of the disk spool (fsync'd segment files); default `./takt-ingest-spool` */
      spoolDir: z.string().min(1).default('./takt-ingest-spool'),
      /** ms of the first retry after a failed write; doubles up to `retryMaxMs`; default 200 */
      retryMinMs: positiveInt.default(200),
      /** ms the retry delay never exceeds; default 5_000 */
      retryMaxMs: positiveInt.default(5_000),
    })
    .prefault({}),
  /**
   * the evidence blob store (the trainer service's `evidence.dir` on the same host). Without it every
   * `evidence` message is dead-lettered as EVIDENCE_NOT_CONFIGURED, with an error log.
   */
  evidence: z
    .strictObject({
      /** folder of the content-addressed blobs (`dir/sha256/ab/cdef…`) */
      dir: z.string().min(1),
      /** tries to write one blob (backoff `buffer.retryMinMs` doubling to `retryMaxMs`) before the message is dead-lettered as BLOB_WRITE_FAILED; default 5 */
      attempts: positiveInt.max(100).default(5),
      /**
       * bytes of evidence one device may store, on average per second and at once: the edge keeps to its own
       * budget (1 KiB/s by default), but a compromised box would not, and must not fill this disk; what is over
       * is acknowledged, dropped and counted (takt_ingest_evidence_dropped_total); default 65_536 B/s, 16 MiB
       */
      perDevice: z
        .strictObject({
          bytesPerSecond: positiveInt.default(65_536),
          burstBytes: positiveInt.default(16 * 1024 * 1024),
        })
        .prefault({}),
    })
    .optional(),
  /** JSON-lines file receiving every message that cannot be stored, with the reason; default `./takt-ingest-dead-letters.jsonl` */
  deadLetterFile: z.string().min(1).default('./takt-ingest-dead-letters.jsonl'),
  /** HTTP `/metrics` and `/healthz`; default 127.0.0.1:9465 (port 0 picks a free one) */
  metrics: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(9465) })
    .prefault({}),
});

export type IngestorConfig = z.output<typeof ingestorConfigSchema>;

/** Defaults, then the JSON file, then `TAKT_INGEST_*` variables (`__` nests). Throws `ConfigError`. */
export function loadIngestorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): IngestorConfig {
  return loadConfig(ingestorConfigSchema, { file, envPrefix: 'TAKT_INGEST_', env });
}
