import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashPassword, readUsersFile, verifyPassword, type Logger, type UsersFile } from '@takt/runtime';

/** The roles the default ACL knows (see `defaultRules`); an ACL file may name others. */
export const ROLES = ['device', 'edge', 'plant', 'ingestor', 'trainer', 'dashboard', 'engineer', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Who a connected client is: its user name (or undefined when anonymous) and role. */
export interface Identity {
  username: string | undefined;
  role: string;
  /** `site/line/device` bindings from the users file (`+` for any level): the devices an `edge` or `device` user speaks for */
  devices?: readonly string[];
}

let decoy: Promise<string> | undefined;
/** A hash of a random password, made once: what an unknown user name is checked against. */
const decoyHash = () => (decoy ??= hashPassword(randomBytes(16).toString('hex')));

/** The role given to clients that connect without a user name (when `allowAnonymous`). */
export const ANONYMOUS_ROLE = 'anonymous';

export interface UserDirectoryEvents {
  /** the file was re-read; `changed`: users removed, or whose password, role or device bindings changed */
  reloaded: [changed: string[]];
}

/** Users present in `before` that are gone from `after` or whose entry differs (hash, role, devices). */
function changedUsers(before: UsersFile, after: UsersFile): string[] {
  return Object.keys(before).filter((name) => {
    const now = Object.hasOwn(after, name) ? after[name] : undefined;
    const was = before[name];
    return (
      now === undefined ||
      was === undefined ||
      now.passwordHash !== was.passwordHash ||
      now.role !== was.role ||
      String(now.devices ?? '') !== String(was.devices ?? '')
    );
  });
}

/**
 * The users file, kept in memory and re-read when it changes on disk (so `takt-broker passwd`
 * takes effect without a restart) or on `reload()` (SIGHUP). A file that fails to parse keeps the
 * last good copy. Every reload emits `reloaded` with the users whose connections must go.
 */
export class UserDirectory extends EventEmitter<UserDirectoryEvents> {
  #users: UsersFile;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {
    super();
    this.#users = readUsersFile(file);
  }

  get size(): number {
    return Object.keys(this.#users).length;
  }

  /** Re-reads the file; on error logs and keeps the previous users. */
  reload(): void {
    let next: UsersFile;
    try {
      next = readUsersFile(this.file);
    } catch (err) {
      this.logger.error({ err }, 'users file reload failed, keeping the previous users');
      return;
    }
    const changed = changedUsers(this.#users, next);
    this.#users = next;
    this.logger.info({ file: this.file, users: this.size, changed }, 'users file reloaded');
    this.emit('reloaded', changed);
  }

  /**
   * Watches the file's folder (the file itself is replaced by an atomic rename on every update)
   * and reloads shortly after the file changes; `close()` stops.
   */
  watch(): void {
    if (this.#watcher) return;
    const name = basename(this.file);
    this.#watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      if (changed !== name) return;
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => this.reload(), 50);
    });
    this.#watcher.on('error', (err) => this.logger.warn({ err }, 'cannot watch users file'));
  }

  close(): void {
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /**
   * The identity for a user name and password, or undefined when they do not match. An unknown
   * user costs the same scrypt as a known one, so timing does not tell which user names exist.
   */
  async verify(username: string, password: Buffer | undefined): Promise<Identity | undefined> {
    const user = Object.hasOwn(this.#users, username) ? this.#users[username] : undefined;
    const ok = await verifyPassword(password?.toString('utf8') ?? '', user?.passwordHash ?? (await decoyHash()));
    if (!user || !password || !ok) return undefined;
    return { username, role: user.role, ...(user.devices ? { devices: user.devices } : {}) };
  }
}
