import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger, type Logger } from '@takt/runtime';
import { HashSlots } from './auth/hash-slots.js';
import { LoginLimiter } from './auth/login-limiter.js';
import { sessionMiddleware, requireJson } from './auth/guard.js';
import { SessionStore } from './auth/session-store.js';
import { UserDirectory } from './auth/user-directory.js';
import type { DashboardConfig } from './config.js';
import { DashboardError, errorHandler } from './http/errors.js';
import { DashboardMetrics } from './http/metrics.js';
import { buildWebAssets, securityHeaders, serveAssets } from './http/web-assets.js';
import { SseHub } from './live/sse-hub.js';
import type { SeriesStore } from './plant/device-history.js';
import { connectHistory, seedAlerts } from './plant/history-store.js';
import { MqttFeed } from './plant/mqtt-feed.js';
import { Plant } from './plant/plant.js';
import { alertRoutes } from './routes/alert-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { evidenceRoutes } from './routes/evidence-routes.js';
import type { RouteContext } from './routes/context.js';
import { modelRoutes } from './routes/model-routes.js';
import { plantRoutes } from './routes/plant-routes.js';
import { TrainerClient } from './trainer/trainer-client.js';

export interface Dashboard {
  /** http://host:port of the running server */
  url: string;
  port: number;
  plant: Plant;
  feed: MqttFeed;
  hub: SseHub;
  /**
   * Re-reads the users file (SIGHUP): every session of a user who was removed, or whose role or
   * password changed, ends, and with it the user's live streams. A file that fails to load keeps the
   * previous users (logged). Returns the users whose sessions were ended.
   */
  reloadUsers(): string[];
  /** stops the HTTP server, the live streams and the MQTT session */
  close(): Promise<void>;
}

export interface StartDashboardOptions {
  logger?: Logger;
  /** history for long ranges (a `TelemetryStore`); without it charts show the live window only */
  store?: SeriesStore;
}

/** The dashboard's version, reported in `takt_dashboard_build_info`. */
const DASHBOARD_VERSION = '0.1.0';

/** The express app: security headers, page assets, session lookup, API routers, typed errors. */
export function createApp(
  ctx: RouteContext,
  assets: Parameters<typeof serveAssets>[0],
  trustedProxies: readonly string[] = [],
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip believes X-Forwarded-For only from these (the rightmost address that is not one of them)
  app.set('trust proxy', trustedProxies.length ? [...trustedProxies] : false);
  const metrics = new DashboardMetrics({
    version: DASHBOARD_VERSION,
    liveClients: () => ctx.hub.clients,
    mqttConnected: () => ctx.feed.connected,
  });
  app.use(metrics.count);
  app.use(securityHeaders);
  app.get('/healthz', (_req, res) => void res.json({ ok: true, mqtt: ctx.feed.connected }));
  app.get('/metrics', metrics.serve);
  app.use(serveAssets(assets));
  app.use('/api', requireJson, express.json({ limit: '32kb' }), sessionMiddleware(ctx.sessions));
  app.use('/api', authRoutes(ctx), plantRoutes(ctx), alertRoutes(ctx), evidenceRoutes(ctx), modelRoutes(ctx));
  app.use('/api', () => {
    throw new DashboardError('NOT_FOUND', 'no such API route');
  });
  app.use(errorHandler(ctx.logger));
  return app;
}

/** Starts everything `takt-dashboard` runs: MQTT feed, live hub, HTTP server. */
export async function startDashboard(config: DashboardConfig, options: StartDashboardOptions = {}): Promise<Dashboard> {
  const logger = options.logger ?? createLogger('dashboard');
  const assets = await buildWebAssets();
  const plant = new Plant({
    offlineAfterMs: config.offlineAfterMs,
    liveWindowMs: config.liveWindowMs,
    alerts: config.alerts,
  });
  const influx = config.influx && !options.store ? await connectHistory(config.influx) : undefined;
  const store = options.store ?? influx;
  if (influx) logger.info({ alerts: await seedAlerts(plant, influx, logger) }, 'alert history loaded');
  const feed = MqttFeed.start(
    {
      url: config.mqtt.url,
      username: config.mqtt.username,
      password: config.mqtt.password,
      liveRaw: config.mqtt.liveRaw,
    },
    plant,
    logger,
  );
  const sessions = new SessionStore({ idleMs: config.session.idleMs, maxAgeMs: config.session.maxAgeMs });
  const hub = new SseHub(plant, sessions, config.live);
  const ctx: RouteContext = {
    logger,
    users: new UserDirectory(config.usersFile, logger),
    sessions,
    limiter: new LoginLimiter(config.loginLimit),
    hashSlots: new HashSlots(config.loginLimit.maxConcurrentHashes),
    plant,
    feed,
    hub,
    session: config.session,
    ...(config.trainer ? { trainer: new TrainerClient(config.trainer) } : {}),
    ...(store ? { store } : {}),
  };
  const server: Server = await new Promise((resolve, reject) => {
    const s = createApp(ctx, assets, config.trustedProxies).listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, users: ctx.users.size }, 'dashboard serving');
  return {
    url,
    port,
    plant,
    feed,
    hub,
    reloadUsers: () => {
      const changed = ctx.users.reload();
      for (const username of changed) sessions.destroyUser(username, 'user-changed');
      logger.info({ users: ctx.users.size, ended: changed }, 'users file reloaded');
      return changed;
    },
    close: async () => {
      hub.close();
      ctx.sessions.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await feed.close();
      await influx?.close();
    },
  };
}
