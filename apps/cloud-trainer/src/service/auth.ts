import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './api-error.js';

export type ApiRole = 'reader' | 'operator';

const RANK: Record<ApiRole, number> = { reader: 1, operator: 2 };
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token authorisation: `requireRole('reader')` lets readers and operators through,
 * `requireRole('operator')` only operators. Unknown or missing token → 401, too weak a role → 403.
 * Tokens are compared as SHA-256 digests in constant time.
 */
export class BearerAuth {
  readonly #tokens: { digest: Buffer; role: ApiRole }[];

  constructor(tokens: readonly { token: string; role: ApiRole }[]) {
    this.#tokens = tokens.map((t) => ({ digest: digest(t.token), role: t.role }));
  }

  /** The role of a token, or undefined. */
  roleOf(token: string): ApiRole | undefined {
    const d = digest(token);
    let role: ApiRole | undefined;
    for (const t of this.#tokens) if (timingSafeEqual(t.digest, d)) role = t.role;
    return role;
  }

  requireRole(min: ApiRole): RequestHandler {
    return (req, _res, next) => {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      const challenge = { 'www-authenticate': 'Bearer realm="takt-trainer"' };
      if (!m)
        return next(new ApiError('UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer <token>)', challenge));
      const role = this.roleOf(m[1] as string);
      if (!role) return next(new ApiError('UNAUTHENTICATED', 'unknown bearer token', challenge));
      if (RANK[role] < RANK[min])
        return next(new ApiError('FORBIDDEN', `this route needs role ${min}; the token has role ${role}`));
      next();
    };
  }
}
