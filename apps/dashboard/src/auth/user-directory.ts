import { readUsersFile, verifyPassword, type Logger } from '@takt/runtime';
import { isRole, type Role } from './roles.js';

/** A well-formed scrypt hash of a random password, checked when the user is unknown so timing does not tell. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

interface DashboardUser {
  passwordHash: string;
  role: Role;
}

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
  #users: Map<string, DashboardUser>;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {
    this.#users = this.#read();
  }

  /**
   * Re-reads the file. Returns the users who are gone or whose role or password changed (their
   * sessions must end). A file that cannot be read keeps the previous users, logged, and changes nobody.
   */
  reload(): string[] {
    let next: Map<string, DashboardUser>;
    try {
      next = this.#read();
    } catch (err) {
      this.logger.error({ err, file: this.file }, 'users file reload failed; keeping the previous users');
      return [];
    }
    const changed = [...this.#users].filter(([name, was]) => {
      const now = next.get(name);
      return !now || now.role !== was.role || now.passwordHash !== was.passwordHash;
    });
    this.#users = next;
    return changed.map(([name]) => name);
  }

  #read(): Map<string, DashboardUser> {
    const users = new Map<string, DashboardUser>();
    for (const [username, entry] of Object.entries(readUsersFile(this.file))) {
      if (isRole(entry.role)) users.set(username, { passwordHash: entry.passwordHash, role: entry.role });
      else this.logger.warn({ username, role: entry.role }, 'users file entry has no dashboard role; ignored');
    }
    return users;
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
