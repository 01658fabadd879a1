import { MAX_ANY_PAYLOAD_BYTES } from '@takt/contracts';
import { ConfigError, loadConfig } from '@takt/runtime';
import { z } from 'zod';

const port = z.number().int().min(0).max(65_535);

/** Largest MQTT packet accepted by default: the largest contract payload plus room for topic and header. */
export const DEFAULT_MAX_PACKET_SIZE = MAX_ANY_PAYLOAD_BYTES + 4096;

export const brokerConfigSchema = z.strictObject({
  /** address of every listener; default "0.0.0.0" */
  host: z.string().min(1).default('0.0.0.0'),
  /** plain MQTT TCP port; default 1883 (0 picks a free one) */
  port: port.default(1883),
  /** optional MQTT over WebSocket listener (for browsers) */
  ws: z
    .strictObject({
      port,
      host: z.string().optional(),
      /** HTTP path; default "/mqtt" */ path: z.string().default('/mqtt'),
    })
    .optional(),
  /** optional MQTT over TLS listener; cert/key are PEM file paths */
  tls: z
    .strictObject({
      port,
      host: z.string().optional(),
      cert: z.string().min(1),
      key: z.string().min(1),
      ca: z.string().optional(),
    })
    .optional(),
  /** HTTP endpoint for `/metrics` (Prometheus text) and `/healthz`; default 127.0.0.1:9464 */
  metrics: z.strictObject({ host: z.string().default('127.0.0.1'), port: port.default(9464) }).prefault({}),
  /** users file (see `takt-broker passwd`); required unless `allowAnonymous` */
  usersFile: z.string().min(1).optional(),
  /** ACL file of ordered allow/deny rules (README); without it the role defaults apply */
  aclFile: z.string().min(1).optional(),
  /** accept clients without user name (they get role `anonymous`: nothing allowed unless the ACL says so); default false */
  allowAnonymous: z.boolean().default(false),
  /**
   * `user-prefix` (default): a client id must be its user name, or start with it followed by one of
   * `-_.:@` — so no login can take another user's session; `any`: MQTT's own rule only. Anonymous
   * clients (open mode) are never bound.
   */
  clientIds: z.enum(['user-prefix', 'any']).default('user-prefix'),
  /** per-connection quotas */
  quotas: z
    .strictObject({
      /** distinct topics one connection may set a retained message on; default 1000 */
      retainedTopics: z.number().int().min(0).default(1000),
      /** subscriptions (distinct filters) one connection may hold; default 100 */
      subscriptions: z.number().int().min(1).default(100),
    })
    .prefault({}),
  /**
   * largest packet in bytes a connection may send before it is authenticated (its CONNECT, will
   * included): an unauthenticated peer cannot make the broker buffer a full-size packet; default 16 KiB
   */
  maxConnectPacketSize: z.number().int().min(64).default(16_384),
  /** connections held at once; one more is closed as soon as it is accepted; default 10_000 */
  maxConnections: z.number().int().min(1).default(10_000),
  /** largest MQTT packet in bytes, checked from the fixed header before the body is buffered */
  maxPacketSize: z.number().int().min(64).default(DEFAULT_MAX_PACKET_SIZE),
  /** most `/`-separated levels in a topic or filter; default 16 (aedes caps at 100) */
  maxTopicLevels: z.number().int().min(1).max(100).default(16),
  /** ms a new connection may take to send CONNECT; default 10_000 */
  connectTimeoutMs: z.number().int().min(100).default(10_000),
  /** decode publishes on `takt/v1/...` with the contracts and drop invalid ones; default on */
  validation: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** invalid publishes a client may send within `windowMs` before it is disconnected; default 20 */
      maxInvalid: z.number().int().min(1).default(20),
      /** ms window of `maxInvalid`; default 60_000 */
      windowMs: z.number().int().min(1).default(60_000),
    })
    .prefault({}),
  /** slow-down of repeated failed logins from one remote address */
  loginThrottle: z
    .strictObject({
      /** ms added per failure after the first; default 500 */
      stepMs: z.number().int().min(0).default(500),
      /** ms the delay never exceeds; default 10_000 */
      maxDelayMs: z.number().int().min(0).default(10_000),
      /** ms after the last failure an address is forgiven; default 300_000 */
      forgetAfterMs: z.number().int().min(1).default(300_000),
    })
    .prefault({}),
  /** aedes: messages routed concurrently; default 1000 */
  concurrency: z.number().int().min(1).default(1000),
  /** aedes: packets a client may queue before CONNACK; default 42 */
  queueLimit: z.number().int().min(1).default(42),
  /** ms a subscriber's socket may stay unwritable before it is dropped; default 30_000 */
  drainTimeoutMs: z.number().int().min(0).default(30_000),
  /** cluster mode: share sessions, retained messages and routing through Redis */
  persistence: z.strictObject({ redis: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL') }).optional(),
  /** broker id (cluster diagnostics); default random */
  id: z.string().min(1).optional(),
});

export type BrokerConfig = z.output<typeof brokerConfigSchema>;

/** Loads a broker config: defaults, JSON file, then `TAKT_BROKER_*` variables. Throws `ConfigError`. */
export function loadBrokerConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const config = loadConfig(brokerConfigSchema, { file, envPrefix: 'TAKT_BROKER_', env });
  if (!config.usersFile && !config.allowAnonymous) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'config key "usersFile" is required unless "allowAnonymous" is true',
      'usersFile',
    );
  }
  return config;
}
