import express, { type Express, type Request } from 'express';
import { z } from 'zod';
import { idSchema, nameSchema, timestampSchema } from '@takt/contracts';
import { serveArtifact, type ModelRegistry } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import { ApiError, errorHandler, parseOr400 } from './api-error.js';
import type { BearerAuth } from './auth.js';
import type { TrainingJobs } from './jobs.js';
import { JOB_KINDS, publicRollout, type JobKind } from './records.js';
import type { RolloutManager } from './rollouts.js';
import type { ApprovalQueue } from './approvals.js';
import { mountEvidenceRoutes, type EvidenceApiDeps } from './evidence-routes.js';

export interface ApiDeps {
  auth: BearerAuth;
  /** bounds of an API job's time range: `training.maxJobSpanMs`, and `training.lookbackMs` for a missing `from` */
  jobRange: { maxSpanMs: number; lookbackMs: number };
  registry: ModelRegistry;
  jobs: TrainingJobs;
  /** the model a job of each kind trains when the request names none (`training.model`, `training.vision.model`, `training.fault.model`) */
  defaultModels: Record<JobKind, string>;
  rollouts: RolloutManager;
  /** automatic rollouts waiting for an admin */
  approvals: ApprovalQueue;
  /** Prometheus text */
  metrics: () => string;
  /** the evidence API (evidence-routes.ts) */
  evidence: EvidenceApiDeps;
  /** liveness of the service's dependencies */
  health: () => Promise<{ influx: boolean; mqtt: boolean }>;
  logger: Logger;
}

const modelParams = z.strictObject({
  name: idSchema,
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, { message: 'must be a positive integer' })
    .transform(Number),
});
const idParams = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'is not a valid id' }) });
const artifactQuery = z.strictObject({ variant: nameSchema.optional() });

const deviceList = (max: number) => z.array(idSchema).max(max);

export const jobRequestSchema = z
  .strictObject({
    /** what to train; default `kmeans` */
    kind: z.enum(JOB_KINDS).default('kmeans'),
    /** default: the configured model of that kind */
    model: idSchema.optional(),
    devices: deviceList(1000).min(1).optional(),
    /** ms since epoch; default `to − training.lookbackMs` */
    from: timestampSchema.optional(),
    /** ms since epoch; default now */
    to: timestampSchema.optional(),
  })
  .refine((b) => b.from === undefined || b.to === undefined || b.to > b.from, {
    message: 'must be after from',
    path: ['to'],
  });

export const rolloutRequestSchema = z.strictObject({
  model: idSchema,
  version: z.number().int().min(1),
  canary: deviceList(1000).min(1),
  devices: deviceList(10_000),
  /** ms the canaries are watched; 1 ms .. 24 h */
  watchMs: z.number().int().min(1).max(86_400_000).optional(),
});

/** ms a job's `to` may lie past the service's clock (the caller's clock may run a little ahead) */
export const CLOCK_SKEW_MS = 60_000;

/**
 * Refuses a job range that lies in the future or spans more than `maxSpanMs` (what one request may make
 * the trainer read from InfluxDB and hold in memory), naming the field.
 */
export function checkJobRange(b: { from?: number; to?: number }, limits: ApiDeps['jobRange'], now = Date.now()): void {
  for (const field of ['to', 'from'] as const) {
    const at = b[field];
    if (at !== undefined && at > now + CLOCK_SKEW_MS)
      throw new ApiError(
        'BAD_REQUEST',
        `body.${field} must not be in the future (${new Date(at).toISOString()} is after now, ${new Date(now).toISOString()})`,
      );
  }
  const to = b.to ?? now;
  const from = b.from ?? to - limits.lookbackMs;
  if (to - from > limits.maxSpanMs) {
    const field = b.from === undefined ? 'to' : 'from';
    throw new ApiError(
      'BAD_REQUEST',
      `body.${field} gives a range of ${to - from} ms; a job may span at most ${limits.maxSpanMs} ms (training.maxJobSpanMs)`,
    );
  }
}

function body(req: Request): unknown {
  if (!req.is('application/json'))
    throw new ApiError('BAD_REQUEST', 'body must be JSON (Content-Type: application/json)');
  return req.body as unknown;
}

/** The trainer's HTTP API (docs/interfaces: "Trainer service HTTP API"), with `/healthz` and `/metrics`. */
export function createApi(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const reader = deps.auth.requireRole('reader');
  const operator = deps.auth.requireRole('operator');

  app.get('/healthz', async (_req, res) => {
    const h = await deps.health();
    res.status(h.influx ? 200 : 503).json({ status: h.influx ? 'ok' : 'degraded', ...h });
  });
  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(deps.metrics());
  });

  // before the small JSON parser: the upload route parses its own (larger) body after the token check
  mountEvidenceRoutes(app, deps.evidence, { reader, operator });
  app.use('/api', express.json({ limit: '64kb' }));

  app.get('/api/models', reader, async (_req, res) => {
    res.json({ models: await deps.registry.list() });
  });
  app.get('/api/models/:name/:version/manifest', reader, async (req, res) => {
    const p = parseOr400(modelParams, req.params, 'params');
    res.json(await deps.registry.get(p.name, p.version));
  });
  app.get('/api/models/:name/:version/artifact', reader, async (req, res) => {
    const p = parseOr400(modelParams, req.params, 'params');
    const { variant } = parseOr400(artifactQuery, req.query, 'query');
    const m = await deps.registry.get(p.name, p.version);
    const ref = variant === undefined ? m.artifact : m.variants?.[variant];
    if (!ref) throw new ApiError('NOT_FOUND', `model ${m.name} v${m.version} has no ${variant} variant`);
    await serveArtifact(req, res, deps.registry.artifactPath(m, variant), ref.sha256);
  });
  // by content address: what edge agents fetch (the hash is in the signed manifest they verified)
  app.get('/api/artifacts/sha256/:sha256', reader, async (req, res) => {
    const sha256 = String(req.params['sha256']);
    const path = await deps.registry.blobByHash(sha256);
    if (!path) throw new ApiError('NOT_FOUND', `no artifact with sha256 ${sha256.slice(0, 64)}`);
    await serveArtifact(req, res, path, sha256);
  });

  app.get('/api/jobs', reader, (_req, res) => {
    res.json({ jobs: deps.jobs.list() });
  });
  app.get('/api/jobs/:id', reader, (req, res) => {
    const { id } = parseOr400(idParams, req.params, 'params');
    const job = deps.jobs.get(id);
    if (!job) throw new ApiError('NOT_FOUND', `no job ${id}`);
    res.json(job);
  });
  app.post('/api/jobs', operator, (req, res) => {
    const b = parseOr400(jobRequestSchema, body(req), 'body');
    checkJobRange(b, deps.jobRange);
    const job = deps.jobs.submit({
      kind: b.kind,
      model: b.model ?? deps.defaultModels[b.kind],
      trigger: 'api',
      request: {
        ...(b.devices ? { devices: b.devices } : {}),
        ...(b.from !== undefined ? { from: b.from } : {}),
        ...(b.to !== undefined ? { to: b.to } : {}),
      },
    });
    res.status(202).json({ id: job.id, kind: job.kind, model: job.model });
  });

  app.get('/api/rollouts', reader, (_req, res) => {
    res.json({ rollouts: deps.rollouts.list().map(publicRollout) });
  });
  app.get('/api/rollouts/:id', reader, (req, res) => {
    const { id } = parseOr400(idParams, req.params, 'params');
    const r = deps.rollouts.get(id);
    if (!r) throw new ApiError('NOT_FOUND', `no rollout ${id}`);
    res.json(publicRollout(r));
  });
  app.post('/api/rollouts', operator, async (req, res) => {
    const b = parseOr400(rolloutRequestSchema, body(req), 'body');
    const r = await deps.rollouts.create(b);
    res.status(201).json({ id: r.id, stage: r.stage });
  });
  app.get('/api/approvals', reader, (_req, res) => {
    res.json({ approvals: deps.approvals.list() });
  });
  app.post('/api/approvals/:name/:version/approve', operator, async (req, res) => {
    const p = parseOr400(modelParams, req.params, 'params');
    const { job: _j, requestedAt: _t, ...request } = deps.approvals.take(p.name, p.version);
    const r = await deps.rollouts.create(request);
    deps.logger.info({ rollout: r.id, model: p.name, version: p.version }, 'approved rollout started');
    res.status(201).json({ id: r.id, stage: r.stage });
  });
  app.post('/api/approvals/:name/:version/reject', operator, (req, res) => {
    const p = parseOr400(modelParams, req.params, 'params');
    deps.approvals.take(p.name, p.version);
    deps.logger.info({ model: p.name, version: p.version }, 'rollout rejected by an operator');
    res.json({ rejected: { model: p.name, version: p.version } });
  });
  app.post('/api/rollouts/:id/promote', operator, async (req, res) => {
    const { id } = parseOr400(idParams, req.params, 'params');
    res.json({ rollout: publicRollout(await deps.rollouts.promote(id)) });
  });
  app.post('/api/rollouts/:id/rollback', operator, async (req, res) => {
    const { id } = parseOr400(idParams, req.params, 'params');
    res.json({ rollout: publicRollout(await deps.rollouts.rollback(id)) });
  });

  app.use('/api', (req, _res, next) => next(new ApiError('NOT_FOUND', `no route ${req.method} ${req.originalUrl}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
