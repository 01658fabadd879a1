import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { DashboardError } from '../http/errors.js';
import { roleAllows, type Role } from './roles.js';
import type { Session, SessionStore } from './session-store.js';

export const SESSION_COOKIE = 'takt_sid';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of cookie `name` in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The request's session, set by `sessionMiddleware`. */
export function sessionOf(res: Response): Session | undefined {
  return res.locals['session'] as Session | undefined;
}

export function requireSession(res: Response): Session {
  const session = sessionOf(res);
  if (!session) throw new DashboardError('UNAUTHENTICATED', 'sign in first');
  return session;
}

/** Looks the cookie up in the store and puts the live session in `res.locals.session`. */
export function sessionMiddleware(store: SessionStore): RequestHandler {
  return (req, res, next) => {
    const session = store.get(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (session) res.locals['session'] = session;
    next();
  };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Mutating requests must carry JSON (no cross-site form posts) and, once signed in, the session's CSRF token. */
export function csrfCheck(req: Request, res: Response): void {
  if (SAFE_METHODS.has(req.method)) return;
  const session = sessionOf(res);
  if (!session) return; // the role check answers 401
  const sent = req.get(CSRF_HEADER);
  if (!sent || !sameToken(sent, session.csrfToken))
    throw new DashboardError('CSRF', 'missing or wrong CSRF token (send X-CSRF-Token)');
}

/** Refuses a mutating request whose body is not `application/json` (forms cannot forge it cross-site). */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (!SAFE_METHODS.has(req.method) && hasBody && !req.is('application/json')) {
    next(new DashboardError('UNSUPPORTED_MEDIA_TYPE', 'send the request body as application/json'));
    return;
  }
  next();
};

/**
 * Guards a route: 401 without a live session, 403 below `role`, 403 on a mutating request without
 * the session's CSRF token. Every API route is mounted behind one of these.
 */
export function allow(role: Role): RequestHandler {
  return (req, res, next) => {
    const session = requireSession(res);
    if (!roleAllows(session.role, role))
      throw new DashboardError('FORBIDDEN', `needs role ${role}; you are ${session.role}`);
    csrfCheck(req, res);
    next();
  };
}

/** Cookie attributes: httpOnly, SameSite=Strict, path /, optional Secure, session lifetime. */
export function sessionCookie(id: string, options: { secure: boolean; maxAgeMs: number }): string {
  const attrs = [
    `${SESSION_COOKIE}=${encodeURIComponent(id)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.floor(options.maxAgeMs / 1000)}`,
  ];
  if (options.secure) attrs.push('Secure');
  return attrs.join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
