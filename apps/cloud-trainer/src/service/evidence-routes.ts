import express, { type Express, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { idSchema } from '@takt/contracts';
import type { BlobStore } from '@takt/evidence-store';
import type { ModelRegistry } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import type { TelemetryStore } from '@takt/telemetry-store';
import { ApiError, parseOr400 } from './api-error.js';
import type { EvidenceConfig } from './evidence-config.js';
import { labelVocabulary, storeUpload, UPLOAD_REQUEST_LIMIT, uploadRequestSchema } from './evidence-upload.js';

export interface EvidenceApiDeps {
  store: TelemetryStore;
  blobs: BlobStore;
  registry: ModelRegistry;
  config: EvidenceConfig;
  logger: Logger;
}

const DAY_MS = 86_400_000;
const CLOCK_SKEW_MS = 60_000;
const msParam = z
  .string()
  .regex(/^\d{1,15}$/, { message: 'must be ms since epoch' })
  .transform(Number);
const oneOrMany = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter(Boolean));

const evidenceQuerySchema = z
  .strictObject({
    kind: z.enum(['frame', 'window']).optional(),
    /** one device, a comma-separated list, or the parameter repeated */
    device: oneOrMany.pipe(z.array(idSchema).min(1).max(1000)).optional(),
    from: msParam.optional(),
    to: msParam.optional(),
    labelled: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, { message: 'must be an integer 1..1000' })
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(1, { message: 'must be an integer 1..1000' })
          .max(1000, { message: 'must be an integer 1..1000' }),
      )
      .optional(),
  })
  .transform((q) => {
    // a minute ahead by default: an edge clock running a little fast still shows its newest evidence
    const to = q.to ?? Date.now() + CLOCK_SKEW_MS;
    return { ...q, to, from: q.from ?? to - DAY_MS - CLOCK_SKEW_MS };
  })
  .refine((q) => q.to > q.from, { message: 'must be after from', path: ['to'] });

const blobParams = z.strictObject({
  evidenceId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'is not an evidence id' }),
});

function jsonBody(req: Request): unknown {
  if (!req.is('application/json'))
    throw new ApiError('BAD_REQUEST', 'body must be JSON (Content-Type: application/json)');
  return req.body as unknown;
}

/**
 * The evidence API: list evidence with resolved labels, serve a blob, upload labelled images, and the
 * label vocabulary. Mount before the API's small JSON body parser: the upload takes up to 32 MiB,
 * and only after the operator token is checked.
 */
export function mountEvidenceRoutes(
  app: Express,
  deps: EvidenceApiDeps,
  roles: { reader: RequestHandler; operator: RequestHandler },
): void {
  app.get('/api/evidence', roles.reader, async (req, res) => {
    const q = parseOr400(evidenceQuerySchema, req.query, 'query');
    const items = await deps.store.queryEvidence({
      from: q.from,
      to: q.to,
      limit: q.limit ?? 200,
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.device ? { devices: q.device } : {}),
      ...(q.labelled !== undefined ? { labelled: q.labelled } : {}),
    });
    res.json({ items });
  });

  app.get('/api/evidence/:evidenceId/blob', roles.reader, async (req, res) => {
    const { evidenceId } = parseOr400(blobParams, req.params, 'params');
    const record = await deps.store.findEvidence(evidenceId);
    if (!record) throw new ApiError('NOT_FOUND', `no evidence ${evidenceId}`);
    const bytes = await deps.blobs.get(record.sha256);
    if (!bytes)
      throw new ApiError('NOT_FOUND', `the blob of evidence ${evidenceId} is gone (past evidence.retentionDays)`);
    res
      .status(200)
      .type(record.kind === 'frame' ? 'image/png' : 'application/json')
      .set({
        etag: `"${record.sha256}"`,
        'cache-control': 'private, max-age=86400',
        'x-content-type-options': 'nosniff',
      })
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.post('/api/evidence/upload', roles.operator, express.json({ limit: UPLOAD_REQUEST_LIMIT }), async (req, res) => {
    const b = parseOr400(uploadRequestSchema, jsonBody(req), 'body');
    const result = await storeUpload(b, deps);
    deps.logger.info({ set: b.set ?? 'upload', stored: result.stored }, 'labelled images uploaded');
    res.status(201).json(result);
  });

  app.get('/api/labels', roles.reader, async (_req, res) => {
    res.json(await labelVocabulary(deps.config, deps.registry, deps.store));
  });
}
