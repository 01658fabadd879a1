import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RegistryError } from './errors.js';
import type { SigningKey } from './signing.js';

/** Key files in a folder: `<keyId>.key` (private, mode 0600) and `<keyId>.pub` (public). */
export const PRIVATE_KEY_SUFFIX = '.key';
export const PUBLIC_KEY_SUFFIX = '.pub';

/** Writes a key pair as `<dir>/<keyId>.key` (0600) and `<dir>/<keyId>.pub`; refuses to overwrite. */
export async function writeSigningKey(dir: string, key: SigningKey): Promise<{ privateFile: string; publicFile: string }> {
  const privateFile = join(dir, `${key.keyId}${PRIVATE_KEY_SUFFIX}`);
  const publicFile = join(dir, `${key.keyId}${PUBLIC_KEY_SUFFIX}`);
  try {
    await writeFile(privateFile, key.privateKeyPem, { flag: 'wx', mode: 0o600 });
    await chmod(privateFile, 0o600);
    await writeFile(publicFile, key.publicKeyPem, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RegistryError('INVALID_KEY', `key ${key.keyId} already exists in ${dir}; pick a new key id`);
    throw err;
  }
  return { privateFile, publicFile };
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
    throw new RegistryError('UNKNOWN_KEY', `trusted key folder ${dir} is not readable: ${(err as Error).message}`, { cause: err });
  }
  const keys: Record<string, string> = {};
  for (const file of files.filter((f) => f.endsWith(PUBLIC_KEY_SUFFIX)).sort()) {
    keys[basename(file, PUBLIC_KEY_SUFFIX)] = await readFile(join(dir, file), 'utf8');
  }
  return keys;
}
