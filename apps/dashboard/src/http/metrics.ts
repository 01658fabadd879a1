import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** What the dashboard's gauges read when Prometheus scrapes. */
export interface DashboardMetricsSources {
  version: string;
  /** live (SSE) streams open */
  liveClients: () => number;
  /** 1 while the MQTT feed is connected */
  mqttConnected: () => boolean;
}

/**
 * The dashboard's Prometheus metrics (prom-client): `process_*`, `nodejs_*`, `takt_dashboard_build_info`,
 * `takt_dashboard_http_requests_total` by method and status class, live streams, the MQTT feed.
 */
export class DashboardMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'takt_dashboard_http_requests_total',
    help: 'HTTP requests answered, by method and status class.',
    labelNames: ['method', 'status'],
    registers: [this.registry],
  });

  constructor(s: DashboardMetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'takt_dashboard_build_info',
      help: 'Build of the running dashboard (always 1).',
      labelNames: ['version'],
      registers: [this.registry],
    }).set({ version: s.version }, 1);
    new Gauge({
      name: 'takt_dashboard_live_clients',
      help: 'Live (SSE) streams open.',
      registers: [this.registry],
      collect() {
        this.set(s.liveClients());
      },
    });
    new Gauge({
      name: 'takt_dashboard_mqtt_connected',
      help: '1 while the MQTT feed is connected.',
      registers: [this.registry],
      collect() {
        this.set(s.mqttConnected() ? 1 : 0);
      },
    });
  }

  /** Counts every response (mounted first). */
  readonly count: RequestHandler = (req, res, next) => {
    res.on('finish', () => this.#requests.inc({ method: req.method, status: `${Math.floor(res.statusCode / 100)}xx` }));
    next();
  };

  /** `GET /metrics` in the text exposition format. */
  readonly serve: RequestHandler = (_req, res, next) => {
    this.registry.metrics().then((text) => void res.type(this.registry.contentType).send(text), next);
  };
}
