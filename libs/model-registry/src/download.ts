import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@takt/runtime';
import { hashFile } from './artifact.js';
import { RegistryError } from './errors.js';

const log = createLogger('model-registry');

export interface DownloadOptions {
  /** expected lower-case hex SHA-256; the file only reaches `dest` when it matches */
  sha256: string;
  /** expected size in bytes, when known (a longer body is refused early) */
  bytes?: number;
  /** bytes never written, whatever the server sends or declares (with or without Content-Length); default 1 GiB */
  maxBytes?: number;
  /** extra request headers, e.g. `{ authorization: 'Bearer …' }` */
  headers?: Record<string, string>;
  /** attempts after the first, for network errors, cuts and 5xx/429; default 5 */
  retries?: number;
  /** ms before the first retry, doubled each time up to 10 s; default 200 */
  backoffMs?: number;
  /** aborts the download (the `.part` file stays for a later resume) */
  signal?: AbortSignal;
}

type Attempt = 'done' | 'retry' | 'restart';

/** The default hard cap of `DownloadOptions.maxBytes`. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 1 << 30;

/**
 * Downloads an artifact to `dest`, resuming from `dest.part` with `Range` after a cut, retrying
 * with exponential backoff, and checking SHA-256 at the end. `dest` only ever receives a file whose
 * hash matches. Throws `RegistryError`: `HASH_MISMATCH`, `DOWNLOAD_FAILED` (4xx, retries spent), `ABORTED`.
 */
export async function downloadArtifact(url: string, dest: string, opts: DownloadOptions): Promise<void> {
  const part = `${dest}.part`;
  const retries = opts.retries ?? 5;
  let lastError: unknown;
  let restarted = false;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await backoff(attempt, opts);
    let outcome: Attempt;
    try {
      outcome = await fetchInto(url, part, opts);
    } catch (err) {
      if (err instanceof RegistryError && err.code !== 'DOWNLOAD_FAILED') throw err;
      if (opts.signal?.aborted) throw new RegistryError('ABORTED', `download of ${url} aborted`, { cause: err });
      if (err instanceof RegistryError) throw err;
      lastError = err;
      log.warn({ url, attempt, err: String(err) }, 'artifact download interrupted, will resume');
      continue;
    }
    if (outcome === 'retry') continue;
    if (outcome === 'restart') {
      await rm(part, { force: true });
      continue;
    }
    const digest = await hashFile(part);
    if (digest.sha256 === opts.sha256) {
      await rename(part, dest);
      return;
    }
    await rm(part, { force: true });
    if (restarted || attempt === retries) {
      throw new RegistryError(
        'HASH_MISMATCH',
        `download of ${url}: sha256 ${digest.sha256} does not match expected ${opts.sha256}`,
      );
    }
    restarted = true; // a stale .part may have poisoned the resume; try once more from byte 0
  }
  throw new RegistryError(
    'DOWNLOAD_FAILED',
    `download of ${url} failed after ${retries + 1} attempts: ${String(lastError)}`,
    { cause: lastError },
  );
}

async function backoff(attempt: number, opts: DownloadOptions): Promise<void> {
  const ms = Math.min(10_000, (opts.backoffMs ?? 200) * 2 ** (attempt - 1));
  try {
    await sleep(ms, undefined, { signal: opts.signal });
  } catch (err) {
    throw new RegistryError('ABORTED', 'download aborted', { cause: err });
  }
}

async function partSize(part: string): Promise<number> {
  return (await stat(part).catch(() => undefined))?.size ?? 0;
}

/** One request: appends what arrives to `part`. */
async function fetchInto(url: string, part: string, opts: DownloadOptions): Promise<Attempt> {
  let have = await partSize(part);
  if (opts.bytes !== undefined && have > opts.bytes) return 'restart';
  if (opts.bytes !== undefined && have === opts.bytes) return 'done';
  const headers: Record<string, string> = { ...opts.headers };
  if (have > 0) Object.assign(headers, { range: `bytes=${have}-`, 'if-range': `"${opts.sha256}"` });
  const res = await fetch(url, { headers, signal: opts.signal });
  if (res.status === 416 && have > 0) {
    await res.body?.cancel();
    return 'done'; // nothing left to fetch: the hash check decides
  }
  if (res.status >= 500 || res.status === 429 || res.status === 408) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new RegistryError('DOWNLOAD_FAILED', `download of ${url}: HTTP ${res.status}`);
  }
  if (res.status === 200 && have > 0) {
    await truncate(part, 0); // server ignored the range: start over
    have = 0;
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (opts.bytes !== undefined && Number.isFinite(declared) && have + declared > opts.bytes) {
    await res.body?.cancel();
    throw new RegistryError(
      'HASH_MISMATCH',
      `download of ${url}: ${have + declared} bytes offered, manifest says ${opts.bytes}`,
    );
  }
  const limit = Math.min(opts.bytes ?? Infinity, opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES);
  if (Number.isFinite(declared) && have + declared > limit) {
    await res.body?.cancel();
    throw new RegistryError(
      'TOO_LARGE',
      `download of ${url}: ${have + declared} bytes offered, at most ${limit} taken`,
    );
  }
  if (!res.body) return 'retry';
  const total = await appendBody(res.body, part, limit, url);
  if (opts.bytes !== undefined && total < opts.bytes) return 'retry';
  return 'done';
}

/**
 * Appends a response body to `part`, each chunk written before the next is read, so a cut keeps all
 * that arrived; a body that would take `part` past `limit` is cut off there (`TOO_LARGE`): a server
 * that sends no Content-Length cannot fill the disk.
 */
async function appendBody(body: ReadableStream<Uint8Array>, part: string, limit: number, url: string): Promise<number> {
  const file = await open(part, 'a');
  try {
    let size = (await file.stat()).size;
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        await file.truncate(0);
        throw new RegistryError('TOO_LARGE', `download of ${url}: the body runs past ${limit} bytes`);
      }
      await file.write(value);
    }
    await file.sync();
    return size;
  } finally {
    await file.close();
  }
}
