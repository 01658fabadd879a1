import { Router, type Response } from 'express';
import { z } from 'zod';
import { idSchema } from '@takt/contracts';
import { allow } from '../auth/guard.js';
import { DashboardError, parseOr400 } from '../http/errors.js';
import type { TrainerAnswer, TrainerClient } from '../trainer/trainer-client.js';
import type { RouteContext } from './context.js';
import { rolloutParams } from './params.js';

const noQuery = z.strictObject({});
const jobBody = z.strictObject({
  /** what to train; default kmeans (as the trainer) */
  kind: z.enum(['kmeans', 'cnn-vision', 'cnn-fault']).default('kmeans'),
  /** default: the trainer's configured model of that kind */
  model: idSchema.optional(),
  devices: z.array(idSchema).min(1).max(1_000).optional(),
  from: z.number().int().min(0).optional(),
  to: z.number().int().min(0).optional(),
});
const rolloutBody = z
  .strictObject({
    model: idSchema,
    version: z.number().int().min(1),
    canary: z.array(idSchema).min(1).max(1_000),
    devices: z.array(idSchema).max(10_000),
    watchMs: z.number().int().min(0).max(86_400_000).optional(),
  })
  .refine((b) => b.canary.every((d) => b.devices.includes(d)), {
    message: 'every canary device must be in devices',
    path: ['canary'],
  });

const send = (res: Response, a: TrainerAnswer) => res.status(a.status).json(a.body);
const approvalParams = z.strictObject({
  model: idSchema,
  version: z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer'),
});

/**
 * Models, training jobs and rollouts, proxied to the trainer service with the dashboard's own
 * tokens. Viewers read; engineers start training; admins start, promote and roll back rollouts.
 */
export function modelRoutes(ctx: RouteContext): Router {
  const r = Router();
  const trainer = (): TrainerClient => {
    if (!ctx.trainer) throw new DashboardError('UNAVAILABLE', 'no trainer service configured (config key "trainer")');
    return ctx.trainer;
  };

  for (const path of ['models', 'jobs', 'rollouts', 'approvals'] as const) {
    r.get(`/${path}`, allow('viewer'), async (req, res) => {
      parseOr400(noQuery, req.query, 'query parameter');
      send(res.set('cache-control', 'no-store'), await trainer().get(`/api/${path}`));
    });
  }

  r.post('/jobs', allow('engineer'), async (req, res) => {
    const body = parseOr400(jobBody, req.body ?? {}, 'job body');
    send(res, await trainer().post('/api/jobs', body));
  });

  r.post('/rollouts', allow('admin'), async (req, res) => {
    const body = parseOr400(rolloutBody, req.body ?? {}, 'rollout body');
    ctx.logger.info({ model: body.model, version: body.version, canary: body.canary }, 'rollout requested');
    send(res, await trainer().post('/api/rollouts', body));
  });

  // a retrained model waiting for a person (trainer autoRollout.approval: approve)
  for (const action of ['approve', 'reject'] as const) {
    r.post(`/approvals/:model/:version/${action}`, allow('admin'), async (req, res) => {
      const { model, version } = parseOr400(approvalParams, req.params, 'path parameter');
      ctx.logger.info({ model, version, action }, 'rollout approval decided');
      send(res, await trainer().post(`/api/approvals/${model}/${version}/${action}`, {}));
    });
  }

  for (const action of ['promote', 'rollback'] as const) {
    r.post(`/rollouts/:id/${action}`, allow('admin'), async (req, res) => {
      const { id } = parseOr400(rolloutParams, req.params, 'path parameter');
      ctx.logger.info({ rollout: id, action }, 'rollout action');
      send(res, await trainer().post(`/api/rollouts/${encodeURIComponent(id)}/${action}`, {}));
    });
  }

  return r;
}
