import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { DashboardMetrics } from './metrics.js';

describe('dashboard metrics (prom-client)', () => {
  it('GET /metrics: process_*, build info, requests by status class, live streams and the MQTT feed', async () => {
    const metrics = new DashboardMetrics({ version: '1.2.3', liveClients: () => 4, mqttConnected: () => true });
    const app = express();
    app.use(metrics.count);
    app.get('/metrics', metrics.serve);
    app.get('/ok', (_req, res) => void res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await fetch(`${base}/ok`);
      await fetch(`${base}/missing`);
      const res = await fetch(`${base}/metrics`);
      const text = await res.text();
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(text).toContain('takt_dashboard_build_info{version="1.2.3"} 1');
      expect(text).toContain('takt_dashboard_http_requests_total{method="GET",status="2xx"} 1');
      expect(text).toContain('takt_dashboard_http_requests_total{method="GET",status="4xx"} 1');
      expect(text).toContain('takt_dashboard_live_clients 4');
      expect(text).toContain('takt_dashboard_mqtt_connected 1');
    } finally {
      server.close();
    }
  });
});
