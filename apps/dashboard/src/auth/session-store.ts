import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Role } from './roles.js';

export interface Session {
  /** opaque id carried by the cookie */
  id: string;
  username: string;
  role: Role;
  /** synchronizer token the page sends back in `X-CSRF-Token` on every mutating request */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionStoreOptions {
  /** ms a session lives without use; required */
  idleMs: number;
  /** ms a session lives at most; required */
  maxAgeMs: number;
  /** clock, for tests; default `Date.now` */
  now?: () => number;
  /** ms between sweeps of expired sessions; default 60_000 */
  sweepMs?: number;
}

/** Why a session ended. */
export type SessionEnd = 'logout' | 'expired' | 'user-changed';

export interface SessionStoreEvents {
  /** a session is gone (whatever holds on to it, e.g. a live event stream, must let go) */
  ended: [session: Session, why: SessionEnd];
}

const token = () => randomBytes(32).toString('base64url');

/** Server-side sessions in memory, with idle and absolute expiry; a restart signs everyone out. */
export class SessionStore extends EventEmitter<SessionStoreEvents> {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly options: SessionStoreOptions) {
    super();
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.sweep(), options.sweepMs ?? 60_000);
    this.#timer.unref();
  }

  create(username: string, role: Role): Session {
    const now = this.#now();
    const session: Session = { id: token(), username, role, csrfToken: token(), createdAt: now, lastSeenAt: now };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session for `id` (touching it), or `undefined` when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    const session = this.peek(id);
    if (session) session.lastSeenAt = this.#now();
    return session;
  }

  /** The live session for `id` without touching it (a live stream is no sign of a person at the page). */
  peek(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (this.#expired(session, this.#now())) {
      this.#end(session, 'expired');
      return undefined;
    }
    return session;
  }

  /** ms epoch at which `session` expires unless it is used before. */
  expiresAt(session: Session): number {
    return Math.min(session.lastSeenAt + this.options.idleMs, session.createdAt + this.options.maxAgeMs);
  }

  destroy(id: string, why: SessionEnd = 'logout'): void {
    const session = this.#sessions.get(id);
    if (session) this.#end(session, why);
  }

  /** Ends every session of `username` (removed from the users file, password or role changed). */
  destroyUser(username: string, why: SessionEnd = 'user-changed'): void {
    for (const s of [...this.#sessions.values()]) if (s.username === username) this.#end(s, why);
  }

  get size(): number {
    return this.#sessions.size;
  }

  sweep(): void {
    const now = this.#now();
    for (const s of [...this.#sessions.values()]) if (this.#expired(s, now)) this.#end(s, 'expired');
  }

  close(): void {
    clearInterval(this.#timer);
    this.#sessions.clear();
  }

  #end(session: Session, why: SessionEnd): void {
    this.#sessions.delete(session.id);
    this.emit('ended', session, why);
  }

  #expired(s: Session, now: number): boolean {
    return now - s.lastSeenAt > this.options.idleMs || now - s.createdAt > this.options.maxAgeMs;
  }
}
