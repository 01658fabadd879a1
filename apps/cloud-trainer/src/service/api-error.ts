import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';
import { CodedError } from '@takt/contracts';
import { RegistryError } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import { TrainerError } from '../errors.js';

export type ApiErrorCode =
  'BAD_REQUEST' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'UNAVAILABLE' | 'INTERNAL';

const STATUS: Record<ApiErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An error the API answers with `{error: {code, message}}` and the code's HTTP status. */
export class ApiError extends CodedError<ApiErrorCode> {
  override readonly name = 'ApiError';
  readonly status: number;

  constructor(
    code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
    this.status = STATUS[code];
  }
}

/** Parses `value` with `schema`, throwing a 400 that names the first bad field (`body.canary.0`, `params.version`). */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: 'body' | 'params' | 'query',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [
    what,
    ...(issue?.path ?? []).map(String),
    ...(issue?.code === 'unrecognized_keys' ? [issue.keys[0] ?? '?'] : []),
  ].join('.');
  const message = issue?.code === 'unrecognized_keys' ? 'is not a known field' : (issue?.message ?? 'is invalid');
  throw new ApiError('BAD_REQUEST', `${path} ${message}`);
}

/** Domain errors thrown by the registry or the trainer, as API errors. */
export function asApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof RegistryError && err.code === 'NOT_FOUND') return new ApiError('NOT_FOUND', err.message);
  if (err instanceof TrainerError) {
    if (err.code === 'NOT_FOUND') return new ApiError('NOT_FOUND', err.message);
    if (err.code === 'CONFLICT') return new ApiError('CONFLICT', err.message);
    if (err.code === 'BAD_ARGUMENT') return new ApiError('BAD_REQUEST', err.message);
  }
  return undefined;
}

/** The last middleware: typed errors keep their status; bad JSON is 400; the rest 500 (logged). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    let e = asApiError(err);
    const status = (err as { status?: number } | undefined)?.status;
    if (!e && err && typeof err === 'object' && 'type' in err && (status === 400 || status === 413 || status === 415)) {
      e = new ApiError('BAD_REQUEST', `request body cannot be read: ${String((err as { message?: unknown }).message)}`);
    }
    if (!e) {
      logger.error({ err }, 'request failed');
      e = new ApiError('INTERNAL', 'internal error');
    }
    if (res.headersSent) return;
    res
      .status(e.status)
      .set(e.headers)
      .json({ error: { code: e.code, message: e.message } });
  };
}
