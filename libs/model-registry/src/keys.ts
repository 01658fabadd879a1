import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RegistryError } from './errors.js';
import type { SigningKey } from './signing.js';

/** Key files in a folder: `<keyId>.key` (private, mode 0600) and `<keyId>.pub` (public). */
export const PRIVATE_KEY_SUFFIX = '.key';
export const PUBLIC_KEY_SUFFIX = '.pub';

/** Writes a key pair as `<dir>/<keyId>.key` (0600) and `<dir>/<keyId>.pub`; refuses to overwrite. */
export async function writeSigningKey(
  dir: string,
  key: SigningKey,
): Promise<{ privateFile: string; publicFile: string }> {
  const privateFile = join(dir, `${key.keyId}${PRIVATE_KEY_SUFFIX}`);
  const publicFile = join(dir, `${key.keyId}${PUBLIC_KEY_SUFFIX}`);
  try {
    await writeFile(privateFile, key.privateKeyPem, { flag: 'wx', mode: 0o600 });
    await chmod(privateFile, 0o600);
    await writeFile(publicFile, key.publicKeyPem, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new RegistryError('INVALID_KEY', `key ${key.keyId} already exists in ${dir}; pick a new key id`);
    throw err;
  }
  return { privateFile, publicFile };
}

/**
 * Reads a private key file, refusing one that its group or others can read (as ssh does): a
 * signing key others can read is a signing key others may have. Throws `RegistryError('INVALID_KEY')`.
 */
export async function readPrivateKeyFile(file: string): Promise<string> {
  let mode: number;
  let pem: string;
  try {
    mode = (await stat(file)).mode & 0o777;
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new RegistryError('INVALID_KEY', `private key file ${file} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (mode & 0o077)
    throw new RegistryError(
      'INVALID_KEY',
      `private key file ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`,
    );
  return pem;
}

/**
 * The trusted public keys in a folder: every `<keyId>.pub` file, keyed by its id. During a key
 * rotation the folder holds both the old and the new key; retiring a key is deleting its file.
 */
export async function loadTrustedKeys(dir: string): Promise<Record<string, string>> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (err) {
    throw new RegistryError('UNKNOWN_KEY', `trusted key folder ${dir} is not readable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const keys: Record<string, string> = {};
  for (const file of files.filter((f) => f.endsWith(PUBLIC_KEY_SUFFIX)).sort()) {
    keys[basename(file, PUBLIC_KEY_SUFFIX)] = await readFile(join(dir, file), 'utf8');
  }
  return keys;
}
