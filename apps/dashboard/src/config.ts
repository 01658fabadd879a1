import { z } from 'zod';

const MINUTE = 60_000;

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
      idleMs: z.number().int().min(1_000).default(30 * MINUTE),
      /** ms a session lives at most, however busy; default 12 h */
      maxAgeMs: z.number().int().min(1_000).default(12 * 60 * MINUTE),
      /** mark the cookie `Secure` (serve behind TLS); default false */
      secureCookie: z.boolean().default(false),
    })
    .prefault({}),
  loginLimit: z
    .strictObject({
      /** failed sign-ins allowed per IP + username within `windowMs`; default 5 */
      maxFailures: z.number().int().min(1).default(5),
      /** ms the failures are counted over (and the lockout lasts); default 15 min */
      windowMs: z.number().int().min(1_000).default(15 * MINUTE),
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
  liveWindowMs: z.number().int().min(10_000).default(15 * MINUTE),
});
export type DashboardConfig = z.output<typeof dashboardConfigSchema>;
export type DashboardConfigInput = z.input<typeof dashboardConfigSchema>;
