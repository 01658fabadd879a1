import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { blobKey, checkSha256, type BlobAddress, type BlobStore } from './blob-store.js';
import { EvidenceStoreError } from './errors.js';
import { writeFileAtomic } from '@takt/runtime';

export interface DiskBlobStoreOptions {
  /** root folder; blobs live under `dir/sha256/ab/cdef…` (created on the first put) */
  dir: string;
}

const TMP_SUFFIX = '.tmp';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Blobs as files named by their SHA-256. A put writes a temp file beside the target, fsyncs it,
 * renames it into place and fsyncs the folder, so a reader (or a crash) sees the whole blob or
 * none. Putting bytes that are already stored rewrites nothing but refreshes the file's mtime,
 * which is what `sweep` goes by: a blob is kept for the retention counted from its newest put.
 */
export class DiskBlobStore implements BlobStore {
  readonly dir: string;

  constructor(o: DiskBlobStoreOptions) {
    if (typeof o?.dir !== 'string' || o.dir === '') throw new TypeError('DiskBlobStore: dir must be a non-empty path');
    this.dir = o.dir;
  }

  /** The file of a blob (throws `BAD_HASH` for a malformed address). */
  pathOf(sha256: string): string {
    return join(this.dir, blobKey(sha256));
  }

  async put(bytes: Uint8Array): Promise<BlobAddress> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = this.pathOf(sha256);
    const address = { sha256, bytes: bytes.byteLength };
    const now = new Date();
    try {
      await utimes(file, now, now);
      return address;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, bytes);
    await syncDir(dirname(file));
    return address;
  }

  async get(sha256: string): Promise<Uint8Array | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(sha256));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256)
      throw new EvidenceStoreError('CORRUPT_BLOB', `blob ${sha256} on disk hashes to ${actual}: the file was altered`);
    return bytes;
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(sha256));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Deletes blobs whose file was last written before `before` (ms), and temp files a crash left behind; returns the blobs deleted. */
  async sweep(before: number): Promise<number> {
    if (!Number.isFinite(before)) throw new RangeError(`sweep: before must be ms since epoch, got ${before}`);
    const root = join(this.dir, 'sha256');
    let deleted = 0;
    for (const prefix of await listDir(root)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      const folder = join(root, prefix);
      for (const name of await listDir(folder)) {
        const isTmp = name.endsWith(TMP_SUFFIX);
        if (!isTmp && !isBlobName(prefix, name)) continue;
        const file = join(folder, name);
        const s = await stat(file).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)));
        if (!s || s.mtimeMs >= before) continue;
        await unlink(file).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)));
        if (!isTmp) deleted++;
      }
    }
    return deleted;
  }
}

const isBlobName = (prefix: string, name: string) => {
  try {
    checkSha256(prefix + name);
    return true;
  } catch {
    return false;
  }
};

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** fsync of a folder, so a rename into it survives a power cut (Linux; a no-op where folders cannot be opened). */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // some platforms (Windows) cannot fsync a directory; the rename is still atomic
  } finally {
    await handle?.close();
  }
}
