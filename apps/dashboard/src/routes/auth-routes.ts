import { Router } from 'express';
import { z } from 'zod';
import {
  allow,
  clearedSessionCookie,
  readCookie,
  requireSession,
  SESSION_COOKIE,
  sessionCookie,
} from '../auth/guard.js';
import { DashboardError, parseOr400 } from '../http/errors.js';
import type { RouteContext } from './context.js';

const loginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) });

/** Sign-in, sign-out and "who am I" (with the CSRF token the page must send back). */
export function authRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.post('/login', async (req, res) => {
    const { username, password } = parseOr400(loginBody, req.body ?? {}, 'login body');
    // req.ip: the socket's address, or the client's from X-Forwarded-For when the socket is a trusted proxy
    const address = req.ip ?? req.socket.remoteAddress ?? '?';
    const wait = ctx.limiter.retryAfterMs(address, username);
    if (wait > 0) {
      throw new DashboardError(
        'RATE_LIMITED',
        `too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s`,
        429,
        { 'retry-after': String(Math.ceil(wait / 1000)) },
      );
    }
    const release = ctx.hashSlots.tryAcquire();
    if (!release) {
      ctx.logger.warn({ username, ip: address }, 'sign-in refused: too many password checks at once');
      throw new DashboardError('UNAVAILABLE', 'too many sign-ins at once; try again in a second', undefined, {
        'retry-after': '1',
      });
    }
    const user = await ctx.users.verify(username, password).finally(release);
    if (!user) {
      ctx.limiter.fail(address, username);
      ctx.logger.warn({ username, ip: address }, 'sign-in failed');
      throw new DashboardError('UNAUTHENTICATED', 'wrong username or password');
    }
    ctx.limiter.succeed(address, username);
    const old = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (old) ctx.sessions.destroy(old); // a fresh id on every sign-in (no fixation)
    const session = ctx.sessions.create(user.username, user.role);
    res.set(
      'set-cookie',
      sessionCookie(session.id, { secure: ctx.session.secureCookie, maxAgeMs: ctx.session.maxAgeMs }),
    );
    ctx.logger.info({ username, role: user.role }, 'signed in');
    res.json({ username: user.username, role: user.role, csrfToken: session.csrfToken });
  });

  r.post('/logout', allow('viewer'), (_req, res) => {
    ctx.sessions.destroy(requireSession(res).id);
    res.set('set-cookie', clearedSessionCookie(ctx.session.secureCookie)).json({ ok: true });
  });

  r.get('/session', allow('viewer'), (_req, res) => {
    const s = requireSession(res);
    res.set('cache-control', 'no-store').json({ username: s.username, role: s.role, csrfToken: s.csrfToken });
  });

  return r;
}
