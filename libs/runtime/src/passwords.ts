import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** scrypt cost parameters: N=2^14, r=8, p=1 (about 16 MiB and ~40 ms per check). */
const DEFAULT = { N: 16384, r: 8, p: 1, keylen: 32 };

/** `scrypt$N$r$p$salt$hash` (salt and hash base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, DEFAULT.keylen, {
    N: DEFAULT.N,
    r: DEFAULT.r,
    p: DEFAULT.p,
    maxmem: 64 * 1024 * 1024,
  });
  return `scrypt$${DEFAULT.N}$${DEFAULT.r}$${DEFAULT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time check of `password` against a `hashPassword` string; false on any malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4] as string, 'base64');
  const expected = Buffer.from(parts[5] as string, 'base64');
  if (expected.length < 16) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(key, expected);
}

/** `site/line/device`, each level a Takt id or `+` (any): the devices a user may speak for. */
export const DEVICE_BINDING =
  /^(?:[a-z0-9][a-z0-9-]{0,62}|\+)\/(?:[a-z0-9][a-z0-9-]{0,62}|\+)\/(?:[a-z0-9][a-z0-9-]{0,62}|\+)$/;

export const usersFileSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/),
  z.strictObject({
    passwordHash: z.string().startsWith('scrypt$'),
    role: z.string().regex(/^[a-z-]{1,32}$/),
    /** devices the user speaks for (roles `edge` and `device`), `site/line/device` with `+` for any level */
    devices: z
      .array(z.string().regex(DEVICE_BINDING, 'a device binding is site/line/device, each a Takt id or +'))
      .min(1)
      .max(1_000)
      .optional(),
  }),
);
/** A users file: `{ "<username>": { "passwordHash": "scrypt$…", "role": "edge", "devices"?: ["site-a/line-1/+"] } }`. */
export type UsersFile = z.infer<typeof usersFileSchema>;

/** Reads and validates a users file; throws an Error naming the file and the bad entry. */
export function readUsersFile(file: string): UsersFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read users file ${file}: ${(err as Error).message}`);
  }
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`users file ${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Adds or updates a user (like `mosquitto_passwd`), writing the file atomically with mode 0600. */
export async function setUser(
  file: string,
  username: string,
  password: string,
  role: string,
  options: { devices?: string[] } = {},
): Promise<void> {
  let users: UsersFile = {};
  try {
    users = readUsersFile(file);
  } catch (err) {
    if (!(err as Error).message.includes('ENOENT')) throw err;
  }
  const entry = {
    passwordHash: await hashPassword(password),
    role,
    ...(options.devices?.length ? { devices: options.devices } : {}),
  };
  const next = usersFileSchema.parse({ ...users, [username]: entry });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}
