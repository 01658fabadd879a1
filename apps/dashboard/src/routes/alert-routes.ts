import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { allow, requireSession } from '../auth/guard.js';
import { DashboardError, parseOr400 } from '../http/errors.js';
import { BASE_FAULT_LABELS, checkLabel, labelVocabulary } from '../trainer/evidence.js';
import type { RouteContext } from './context.js';
import { alertParams, alertsQuery, frameParams, inspectionsQuery } from './params.js';

const commentBody = z.strictObject({ text: z.string().trim().min(1).max(2_000) });
/** `true-alarm`, `false-alarm`, or a fault class of the vocabulary (`normal` is a false alarm by another name) */
const alarmLabelBody = z.strictObject({
  label: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'label must be true-alarm, false-alarm or a fault class' }),
  comment: z.string().max(2_000).optional(),
});
const ALARM_VERDICTS = ['true-alarm', 'false-alarm'];
const relabelBody = z.strictObject({
  label: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'label must match [A-Za-z0-9_.:-]{1,64}' }),
  comment: z.string().max(2_000).optional(),
});

const newLabelId = () => `lbl-${randomBytes(8).toString('hex')}`;

/** Alerts (list, acknowledge, comment, true/false alarm or fault class) and inspections (list, relabel). */
export function alertRoutes(ctx: RouteContext): Router {
  const r = Router();
  const alertOf = (params: unknown) => {
    const { device, eventId } = parseOr400(alertParams, params, 'path parameter');
    const alert = ctx.plant.alerts.get(`${device}/${eventId}`);
    if (!alert) throw new DashboardError('NOT_FOUND', `no alert ${eventId} on ${device}`);
    return alert;
  };

  r.get('/alerts', allow('viewer'), (req, res) => {
    const q = parseOr400(alertsQuery, req.query, 'query parameter');
    res.set('cache-control', 'no-store').json({ alerts: ctx.plant.alerts.list(q) });
  });

  r.post('/alerts/:device/:eventId/ack', allow('engineer'), (req, res) => {
    const alert = alertOf(req.params);
    const updated = ctx.plant.alerts.acknowledge(alert.id, requireSession(res).username);
    if (updated) ctx.plant.emit('alert', updated);
    res.json(updated);
  });

  r.post('/alerts/:device/:eventId/comments', allow('engineer'), (req, res) => {
    const alert = alertOf(req.params);
    const { text } = parseOr400(commentBody, req.body ?? {}, 'comment body');
    const updated = ctx.plant.alerts.comment(alert.id, { by: requireSession(res).username, at: Date.now(), text });
    if (updated) ctx.plant.emit('alert', updated);
    res.status(201).json(updated);
  });

  r.post('/alerts/:device/:eventId/label', allow('engineer'), async (req, res) => {
    const alert = alertOf(req.params);
    const body = parseOr400(alarmLabelBody, req.body ?? {}, 'label body');
    // the base fault classes are in every trainer's vocabulary: only another class needs the trainer's word
    if (!ALARM_VERDICTS.includes(body.label) && !BASE_FAULT_LABELS.includes(body.label))
      checkLabel(body.label, (await labelVocabulary(ctx.trainer)).fault, 'fault');
    const by = requireSession(res).username;
    const labelId = newLabelId();
    const now = Date.now();
    await ctx.feed.publishLabel(
      { site: alert.site, line: alert.line, device: alert.deviceId },
      {
        ts: now,
        labelId,
        target: 'anomaly',
        refId: alert.eventId,
        from: alert.openedAt,
        ...(alert.closedAt ? { to: alert.closedAt } : {}),
        label: body.label,
        by,
        ...(body.comment ? { comment: body.comment } : {}),
      },
    );
    const updated = ctx.plant.alerts.setLabel(alert.id, { label: body.label, by, at: now, labelId });
    if (updated && body.comment) ctx.plant.alerts.comment(alert.id, { by, at: now, text: body.comment });
    if (updated) ctx.plant.emit('alert', updated);
    res.status(201).json(updated);
  });

  r.get('/inspections', allow('viewer'), (req, res) => {
    const q = parseOr400(inspectionsQuery, req.query, 'query parameter');
    res.set('cache-control', 'no-store').json({ inspections: ctx.plant.inspections.list(q) });
  });

  r.post('/inspections/:device/:frameId/label', allow('engineer'), async (req, res) => {
    const { device, frameId } = parseOr400(frameParams, req.params, 'path parameter');
    const body = parseOr400(relabelBody, req.body ?? {}, 'label body');
    const item = ctx.plant.inspections.find(device, frameId);
    if (!item) throw new DashboardError('NOT_FOUND', `no inspection ${frameId} on ${device}`);
    // with a trainer, the label must be in its vision vocabulary; without one there is no vocabulary to hold it to
    if (ctx.trainer) checkLabel(body.label, (await labelVocabulary(ctx.trainer)).vision, 'vision');
    const by = requireSession(res).username;
    const labelId = newLabelId();
    await ctx.feed.publishLabel(
      { site: item.site, line: item.line, device },
      {
        ts: Date.now(),
        labelId,
        target: 'inspection',
        refId: frameId,
        label: body.label,
        by,
        ...(body.comment ? { comment: body.comment } : {}),
      },
    );
    item.relabel = { label: body.label, by, at: Date.now(), labelId };
    res.status(201).json(item);
  });

  return r;
}
