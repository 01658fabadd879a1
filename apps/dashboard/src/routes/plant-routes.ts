import { Router } from 'express';
import type { DeviceDetail } from '../api-types.js';
import { allow, requireSession } from '../auth/guard.js';
import { DashboardError, parseOr400 } from '../http/errors.js';
import { deviceHistory } from '../plant/device-history.js';
import type { RouteContext } from './context.js';
import { deviceParam, eventsQuery, historyQuery } from './params.js';

/** Overview, one device, its chart data, and the live event stream. */
export function plantRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.get('/overview', allow('viewer'), (_req, res) => {
    res.set('cache-control', 'no-store').json({
      generatedAt: Date.now(),
      mqttConnected: ctx.feed.connected,
      alertsDropped: ctx.plant.alerts.dropped,
      devices: ctx.plant.overview(),
    });
  });

  r.get('/devices/:device', allow('viewer'), (req, res) => {
    const { device } = parseOr400(deviceParam, req.params, 'path parameter');
    const view = ctx.plant.devices.view(device);
    if (!view) throw new DashboardError('NOT_FOUND', `no device ${device} has reported yet`);
    const detail: DeviceDetail = {
      ...view,
      openAnomalies: ctx.plant.alerts.openCount(device),
      threshold: ctx.plant.thresholds.get(device) ?? null,
      faults: ctx.plant.faults.history(device),
    };
    res.json(detail);
  });

  r.get('/devices/:device/history', allow('viewer'), async (req, res) => {
    const { device } = parseOr400(deviceParam, req.params, 'path parameter');
    const { from, to } = parseOr400(historyQuery, req.query, 'query parameter');
    res.set('cache-control', 'no-store').json(await deviceHistory(ctx.plant, ctx.store, { device, from, to }));
  });

  r.get('/events', allow('viewer'), (req, res) => {
    const q = parseOr400(eventsQuery, req.query, 'query parameter');
    ctx.hub.attach(
      res,
      { ...(q.device ? { device: q.device } : {}), inspections: q.inspections === '1' },
      requireSession(res),
    );
  });

  return r;
}
