import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ArtifactRef, ModelManifest } from '@takt/contracts';
import { RegistryError } from './errors.js';

/** Lower-case hex SHA-256 of some bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Lower-case hex SHA-256 and size of a file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The artifact reference of the main artifact, or of `variant` (e.g. `int8`); `NOT_FOUND` when absent. */
export function artifactRef(m: ModelManifest, variant?: string): ArtifactRef {
  if (variant === undefined) return m.artifact;
  const ref = m.variants && Object.hasOwn(m.variants, variant) ? m.variants[variant] : undefined;
  if (!ref)
    throw new RegistryError('NOT_FOUND', `model ${m.name} v${m.version} has no variant ${JSON.stringify(variant)}`);
  return ref;
}

/** Compares a size and hash to a reference: `TRUNCATED` when short, `HASH_MISMATCH` otherwise. */
export function checkDigest(ref: ArtifactRef, actual: { sha256: string; bytes: number }, what: string): void {
  if (actual.bytes < ref.bytes) throw new RegistryError('TRUNCATED', `${what}: ${actual.bytes} of ${ref.bytes} bytes`);
  if (actual.bytes > ref.bytes)
    throw new RegistryError('HASH_MISMATCH', `${what}: ${actual.bytes} bytes, manifest says ${ref.bytes}`);
  if (actual.sha256 !== ref.sha256)
    throw new RegistryError('HASH_MISMATCH', `${what}: sha256 ${actual.sha256} does not match manifest ${ref.sha256}`);
}

/**
 * Checks artifact bytes against the manifest (size, then SHA-256) for the main artifact or a variant.
 * Throws `RegistryError`: `TRUNCATED`, `HASH_MISMATCH` or `NOT_FOUND` (no such variant).
 */
export function verifyArtifact(m: ModelManifest, bytes: Uint8Array, variant?: string): void {
  const ref = artifactRef(m, variant);
  const what = `artifact ${variant ?? 'main'} of ${m.name} v${m.version}`;
  checkDigest(ref, { bytes: bytes.length, sha256: bytes.length === ref.bytes ? sha256Hex(bytes) : '' }, what);
}
