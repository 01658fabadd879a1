import { readUsersFile, verifyPassword, type Logger } from '@takt/runtime';
import { isRole, type Role } from './roles.js';

/** A well-formed scrypt hash of a random password, checked when the user is unknown so timing does not tell. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface SignedInUser {
  username: string;
  role: Role;
}

/**
 * The dashboard's users, read from a users file (`@takt/runtime` format). Entries whose role is not
 * a dashboard role (e.g. broker `device` users in a shared file) are ignored, with a warning.
 * The file is re-read when `reload()` is called (SIGHUP in main).
 */
export class UserDirectory {
  #users = new Map<string, { passwordHash: string; role: Role }>();

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {
    this.reload();
  }

  reload(): void {
    const next = new Map<string, { passwordHash: string; role: Role }>();
    for (const [username, entry] of Object.entries(readUsersFile(this.file))) {
      if (isRole(entry.role)) next.set(username, { passwordHash: entry.passwordHash, role: entry.role });
      else this.logger.warn({ username, role: entry.role }, 'users file entry has no dashboard role; ignored');
    }
    this.#users = next;
  }

  get size(): number {
    return this.#users.size;
  }

  /** The user when the password matches; `undefined` otherwise (same cost either way). */
  async verify(username: string, password: string): Promise<SignedInUser | undefined> {
    const entry = this.#users.get(username);
    const ok = await verifyPassword(password, entry?.passwordHash ?? DUMMY_HASH);
    return ok && entry ? { username, role: entry.role } : undefined;
  }
}
