import { randomBytes } from 'node:crypto';
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

const token = () => randomBytes(32).toString('base64url');

/** Server-side sessions in memory, with idle and absolute expiry; a restart signs everyone out. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly options: SessionStoreOptions) {
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
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string): void {
    this.#sessions.delete(id);
  }

  /** Ends every session of `username` (password or role change). */
  destroyUser(username: string): void {
    for (const [id, s] of this.#sessions) if (s.username === username) this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (this.#expired(s, now)) this.#sessions.delete(id);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#sessions.clear();
  }

  #expired(s: Session, now: number): boolean {
    return now - s.lastSeenAt > this.options.idleMs || now - s.createdAt > this.options.maxAgeMs;
  }
}
