import { EvidenceStoreError } from './errors.js';

/** Where a blob lives: its SHA-256 (lower-case hex) and its length. */
export interface BlobAddress {
  sha256: string;
  bytes: number;
}

/**
 * Content-addressed storage of evidence blobs (PNG frames, JSON windows). `DiskBlobStore` is the
 * embedded default; the same interface over an S3-compatible object store is described in the README.
 */
export interface BlobStore {
  /** stores bytes under their SHA-256 (idempotent); returns the address */
  put(bytes: Uint8Array): Promise<BlobAddress>;
  /** the bytes, or undefined when no such blob is stored (never was, deleted or swept) */
  get(sha256: string): Promise<Uint8Array | undefined>;
  has(sha256: string): Promise<boolean>;
  /** true when a blob was deleted */
  delete(sha256: string): Promise<boolean>;
  /** deletes blobs written before `before` (ms since epoch); returns how many */
  sweep(before: number): Promise<number>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Throws `EvidenceStoreError('BAD_HASH')` unless `sha256` is 64 lower-case hex digits. */
export function checkSha256(sha256: unknown): string {
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
    const shown = typeof sha256 === 'string' ? JSON.stringify(sha256.slice(0, 80)) : typeof sha256;
    throw new EvidenceStoreError('BAD_HASH', `blob address ${shown} is not a SHA-256 (64 lower-case hex digits)`);
  }
  return sha256;
}

/** The key of a blob in a store: `sha256/ab/cdef…` (the first two hex digits fan the blobs out over 256 folders). */
export function blobKey(sha256: string): string {
  checkSha256(sha256);
  return `sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
}
