import { isIP } from 'node:net';
import { z } from 'zod';

const MINUTE = 60_000;
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `10.0.0.5`, `10.0.0.0/8`, `fd00::/8` or one of express's names `loopback`, `linklocal`, `uniquelocal` */
const trustedProxy = z.string().refine(
  (v) => {
    if (PROXY_NAMES.includes(v)) return true;
    const [addr = '', bits, extra] = v.split('/');
    const family = isIP(addr);
    return (
      family !== 0 &&
      extra === undefined &&
      (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)))
    );
  },
  { message: 'must be an IP address, a CIDR range or one of loopback, linklocal, uniquelocal' },
);

/** `takt-dashboard --config FILE`; every key can be overridden by `TAKT_DASHBOARD_*` (`__` nests). */
export const dashboardConfigSchema = z.strictObject({
  /** interface the HTTP server binds; default "127.0.0.1" */
  host: z.string().min(1).default('127.0.0.1'),
  /** HTTP port; 0 picks a free one; default 8080 */
  port: z.number().int().min(0).max(65_535).default(8080),
  /** users file (`{"alice": {"passwordHash": "scrypt$…", "role": "engineer"}}`), roles viewer | engineer | admin */
  usersFile: z.string().min(1),
  session: z
    .strictObject({
      /** ms a session lives without a request; default 30 min */
      idleMs: z
        .number()
        .int()
        .min(1_000)
        .default(30 * MINUTE),
      /** ms a session lives at most, however busy; default 12 h */
      maxAgeMs: z
        .number()
        .int()
        .min(1_000)
        .default(12 * 60 * MINUTE),
      /** mark the cookie `Secure` (serve behind TLS); default false */
      secureCookie: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * reverse proxies whose `X-Forwarded-For` is believed (addresses, CIDR ranges or `loopback`…); a client's
   * address is the last one in the header that is not a trusted proxy. Default none: the socket's address
   */
  trustedProxies: z.array(trustedProxy).max(100).default([]),
  loginLimit: z
    .strictObject({
      /** failed sign-ins allowed per client address + username within `windowMs`; default 5 */
      maxFailures: z.number().int().min(1).default(5),
      /** failed sign-ins allowed per username within `windowMs`, from any address; default 20 */
      maxFailuresPerUser: z.number().int().min(1).default(20),
      /** failed sign-ins allowed per client address within `windowMs`, for any usernames; default 50 */
      maxFailuresPerAddress: z.number().int().min(1).default(50),
      /** ms the failures are counted over (and the lockout lasts); default 15 min */
      windowMs: z
        .number()
        .int()
        .min(1_000)
        .default(15 * MINUTE),
      /** password hashes (scrypt) checked at once; a sign-in beyond it is answered 503 at once; default 4 */
      maxConcurrentHashes: z.number().int().min(1).max(256).default(4),
    })
    .prefault({}),
  live: z
    .strictObject({
      /** live event streams (`GET /api/events`) open at once in all; one more is answered 503; default 500 */
      maxStreams: z.number().int().min(1).default(500),
      /** live event streams one session may hold open; one more is answered 429; default 4 */
      maxStreamsPerSession: z.number().int().min(1).default(4),
      /** bytes a stream may have waiting for a slow client before it is dropped; default 1 MiB */
      maxBufferedBytes: z.number().int().min(1_024).default(1_048_576),
      /** ms a stream may stay congested (its socket buffer full, no drain) before it is dropped; default 30 s */
      stallMs: z.number().int().min(100).default(30_000),
      /** ms between keep-alive comments on idle streams; default 15 s */
      keepAliveMs: z.number().int().min(1_000).default(15_000),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      /** alerts kept per device; past it the device's least recently updated (closed first) is dropped; default 200 */
      maxPerDevice: z.number().int().min(1).default(200),
      /** alerts kept in all; default 5,000 */
      maxTotal: z.number().int().min(1).default(5_000),
    })
    .prefault({}),
  mqtt: z.strictObject({
    /** broker URL, e.g. mqtt://broker:1883 */
    url: z.string().regex(/^(mqtts?|wss?|tcp):\/\/\S+$/, { message: 'must be an mqtt(s)://, ws(s):// or tcp:// URL' }),
    /** service-role credentials: the dashboard subscribes to `takt/v1/#` and publishes `label` */
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** also chart `raw` sample batches (simulators without an edge agent); heavy, default false */
    liveRaw: z.boolean().default(false),
  }),
  /** InfluxDB with the telemetry store's schema, for history and downsampled long ranges; optional */
  influx: z.strictObject({ url: z.string().url(), database: z.string().min(1).default('takt') }).optional(),
  /** the trainer service; the dashboard calls it with its own tokens, never the user's */
  trainer: z
    .strictObject({
      url: z.string().url(),
      /** bearer token with role `reader` (models, jobs, rollouts lists) */
      readerToken: z.string().min(1),
      /** bearer token with role `operator` (start jobs and rollouts, promote, roll back) */
      operatorToken: z.string().min(1),
    })
    .optional(),
  /** ms without heartbeat or state after which a device shows as offline; default 30 s */
  offlineAfterMs: z.number().int().min(1_000).default(30_000),
  /** ms of live samples kept in memory per device for the charts; default 15 min */
  liveWindowMs: z
    .number()
    .int()
    .min(10_000)
    .default(15 * MINUTE),
});
export type DashboardConfig = z.output<typeof dashboardConfigSchema>;
export type DashboardConfigInput = z.input<typeof dashboardConfigSchema>;
