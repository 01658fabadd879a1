import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '@takt/runtime';

export type DashboardErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CSRF'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UPSTREAM'
  | 'UNAVAILABLE'
  | 'CONFLICT'
  | 'INTERNAL';

const STATUS: Record<DashboardErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF: 403,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPSTREAM: 502,
  UNAVAILABLE: 503,
  CONFLICT: 409,
  INTERNAL: 500,
};

/** An error the API answers with `{error: {code, message}}` and the code's HTTP status. */
export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  readonly status: number;
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    status?: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status ?? STATUS[code];
  }
}

/** Parses `value` with `schema`, throwing a 400 that names the first bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : '';
  const field = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : path;
  const message = issue?.code === 'unrecognized_keys' ? 'is not a known parameter' : (issue?.message ?? 'is invalid');
  throw new DashboardError('BAD_REQUEST', `${what} ${field ? `"${field}" ` : ''}${message}`);
}

/** The last middleware: typed errors keep their status; body-parser faults are 400; the rest 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    let e: DashboardError;
    if (err instanceof DashboardError) e = err;
    else if (err && typeof err === 'object' && 'type' in err && (err as { status?: number }).status === 400) {
      e = new DashboardError(
        'BAD_REQUEST',
        `request body is not valid JSON: ${String((err as { message?: unknown }).message)}`,
      );
    } else if (err && typeof err === 'object' && (err as { status?: number }).status === 413) {
      e = new DashboardError('BAD_REQUEST', 'request body is too large', 413);
    } else {
      logger.error({ err }, 'request failed');
      e = new DashboardError('INTERNAL', 'internal error');
    }
    if (res.headersSent) return;
    res
      .status(e.status)
      .set(e.headers)
      .json({ error: { code: e.code, message: e.message } });
  };
}
