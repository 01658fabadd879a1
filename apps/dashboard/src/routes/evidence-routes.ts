import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '@takt/contracts';
import { allow, requireSession } from '../auth/guard.js';
import { DashboardError, parseOr400 } from '../http/errors.js';
import { checkLabel, EvidenceCache, labelVocabulary, type EvidenceRecord } from '../trainer/evidence.js';
import type { TrainerClient } from '../trainer/trainer-client.js';
import type { RouteContext } from './context.js';
import { evidenceParams, evidenceQuery } from './params.js';

/** Most bytes of one evidence blob passed through (a frame PNG or a window's JSON is far smaller). */
export const MAX_BLOB_BYTES = 8 * 1024 * 1024;
const BLOB_TYPES = ['image/png', 'application/json'] as const;

const labelName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'label must match [A-Za-z0-9_.:-]{1,64}' });
const evidenceLabelBody = z.strictObject({
  label: labelName,
  comment: z.string().max(2_000).optional(),
  /** where the evidence came from, when the dashboard has not listed it since it started */
  device: idSchema.optional(),
  ts: z.number().int().min(0).optional(),
});

const newLabelId = () => `lbl-${randomBytes(8).toString('hex')}`;

/**
 * Evidence the edge kept (frames, raw windows) and uploaded images, read from the trainer service
 * with the dashboard's reader token: the list, each blob (PNG or window JSON), the label vocabulary,
 * and engineers' relabels, published as `label` messages with target `evidence`.
 */
export function evidenceRoutes(ctx: RouteContext): Router {
  const r = Router();
  const cache = new EvidenceCache();
  const trainer = (): TrainerClient => {
    if (!ctx.trainer) throw new DashboardError('UNAVAILABLE', 'no trainer service configured (config key "trainer")');
    return ctx.trainer;
  };

  r.get('/labels', allow('viewer'), async (req, res) => {
    parseOr400(z.strictObject({}), req.query, 'query parameter');
    res.set('cache-control', 'no-store').json(await labelVocabulary(trainer()));
  });

  r.get('/evidence', allow('viewer'), async (req, res) => {
    const { event, ...q } = parseOr400(evidenceQuery, req.query, 'query parameter');
    const search = new URLSearchParams(
      Object.entries(q).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])),
    );
    const a = await trainer().get(`/api/evidence?${search.toString()}`);
    if (a.status !== 200) return void res.status(a.status).json(a.body);
    const items = (a.body as { items?: unknown }).items;
    if (!Array.isArray(items)) throw new DashboardError('UPSTREAM', 'trainer answered GET /api/evidence without items');
    const records = items as EvidenceRecord[];
    cache.remember(records);
    res
      .set('cache-control', 'no-store')
      .json({ items: event ? records.filter((x) => x.window?.eventId === event) : records });
  });

  r.get('/evidence/:evidenceId/blob', allow('viewer'), async (req, res) => {
    const { evidenceId } = parseOr400(evidenceParams, req.params, 'path parameter');
    const a = await trainer().getBytes(`/api/evidence/${encodeURIComponent(evidenceId)}/blob`, {
      accept: BLOB_TYPES,
      maxBytes: MAX_BLOB_BYTES,
    });
    if (!('bytes' in a)) return void res.status(a.status).json(a.body);
    // content-addressed: an id's bytes never change (a swept blob is a 404, never other bytes)
    res
      .set({
        'content-type': a.type,
        'cache-control': 'private, max-age=86400, immutable',
        'content-disposition': 'inline',
      })
      .send(a.bytes);
  });

  r.post('/evidence/:evidenceId/label', allow('engineer'), async (req, res) => {
    const { evidenceId } = parseOr400(evidenceParams, req.params, 'path parameter');
    const body = parseOr400(evidenceLabelBody, req.body ?? {}, 'label body');
    const record = cache.get(evidenceId) ?? (await lookUp(trainer(), evidenceId, body));
    if (!record)
      throw new DashboardError(
        'NOT_FOUND',
        `no evidence ${evidenceId}${body.device ? ` on ${body.device} at ${body.ts}` : ''}: list it first (GET /api/evidence) or send its device and ts`,
      );
    const vocabulary = await labelVocabulary(trainer());
    checkLabel(
      body.label,
      record.kind === 'frame' ? vocabulary.vision : vocabulary.fault,
      record.kind === 'frame' ? 'vision' : 'fault',
    );
    const by = requireSession(res).username;
    const at = Date.now();
    const known = ctx.plant.devices.view(record.deviceId);
    // uploaded sets have no site or line; their labels go out under site and line `upload`
    const address = {
      site: record.site ?? known?.site ?? 'upload',
      line: record.line ?? known?.line ?? 'upload',
      device: record.deviceId,
    };
    await ctx.feed.publishLabel(address, {
      ts: at,
      labelId: newLabelId(),
      target: 'evidence',
      refId: evidenceId,
      label: body.label,
      by,
      ...(body.comment ? { comment: body.comment } : {}),
    });
    const updated: EvidenceRecord = { ...record, label: { label: body.label, by, at, source: 'engineer' } };
    cache.remember([updated]);
    ctx.logger.info({ evidenceId, device: record.deviceId, label: body.label, by }, 'evidence relabelled');
    res.status(201).json(updated);
  });

  return r;
}

/** Finds evidence the cache does not hold by its device and time (±1 s), when the caller gave them. */
async function lookUp(
  trainer: TrainerClient,
  evidenceId: string,
  hint: { device?: string; ts?: number },
): Promise<EvidenceRecord | undefined> {
  if (hint.device === undefined || hint.ts === undefined) return undefined;
  const q = new URLSearchParams({
    device: hint.device,
    from: String(Math.max(0, hint.ts - 1_000)),
    to: String(hint.ts + 1_000),
    limit: '1000',
  });
  const a = await trainer.get(`/api/evidence?${q.toString()}`);
  if (a.status !== 200) return undefined;
  const items = (a.body as { items?: unknown }).items;
  return Array.isArray(items) ? (items as EvidenceRecord[]).find((x) => x.evidenceId === evidenceId) : undefined;
}
