import { CodedError } from '@takt/contracts';
import { DEVICE_BINDING, setUser } from '@takt/runtime';
import { ROLES } from './users.js';

export class PasswdError extends CodedError<'EMPTY_PASSWORD' | 'BAD_ROLE' | 'BAD_USERNAME' | 'BAD_DEVICES'> {
  override readonly name = 'PasswdError';
  constructor(code: 'EMPTY_PASSWORD' | 'BAD_ROLE' | 'BAD_USERNAME' | 'BAD_DEVICES', message: string) {
    super(code, message);
  }
}

/** Reads a password from a stream (stdin): everything up to EOF, without the final newline. */
export async function readPassword(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * `takt-broker passwd FILE USER ROLE`: adds or updates a user with a fresh scrypt hash, writing
 * the file atomically with mode 0600 (like `mosquitto_passwd`). Throws `PasswdError` on bad input.
 */
export async function addUser(
  file: string,
  username: string,
  role: string,
  password: string,
  devices?: string[],
): Promise<void> {
  if (password.length === 0) throw new PasswdError('EMPTY_PASSWORD', 'password must not be empty');
  if (!/^[a-z-]{1,32}$/.test(role))
    throw new PasswdError(
      'BAD_ROLE',
      `role ${JSON.stringify(role)} must match [a-z-]{1,32} (built-in: ${ROLES.join(', ')})`,
    );
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(username))
    throw new PasswdError('BAD_USERNAME', `user name ${JSON.stringify(username)} must match [A-Za-z0-9_.@-]{1,64}`);
  const bad = devices?.find((d) => !DEVICE_BINDING.test(d));
  if (bad !== undefined)
    throw new PasswdError(
      'BAD_DEVICES',
      `device binding ${JSON.stringify(bad)} must be site/line/device, each a Takt id ([a-z0-9][a-z0-9-]*) or +`,
    );
  if ((role === 'edge' || role === 'device') && !devices?.length) {
    throw new PasswdError(
      'BAD_DEVICES',
      `${role === 'edge' ? 'an edge user' : 'a device user'} needs --devices site/line/device,... (the ${role === 'edge' ? 'devices the box serves' : 'site and line it is installed on'})`,
    );
  }
  await setUser(file, username, password, role, devices ? { devices } : {});
}
