import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleManifest } from '@takt/contracts/testing';
import { sha256Hex } from './artifact.js';
import { RegistryError } from './errors.js';
import { generateSigningKey, verifyManifest } from './signing.js';
import { ModelRegistry, type RegisterInput } from './store.js';

const key = generateSigningKey('k-2026');
const { artifact: _a, signature: _s, variants: _v, ...base } = sampleManifest();
const input = (name: string, version: number, artifact = Buffer.from(`${name}-${version}-fp32`)): RegisterInput => ({
  manifest: { ...base, name, version, createdAt: base.createdAt + version },
  artifact,
  variants: { int8: Buffer.from(`${name}-${version}-int8`) },
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return (err as RegistryError).code;
  }
  return undefined;
}

describe('ModelRegistry', () => {
  const root = mkdtempSync(join(tmpdir(), 'takt-registry-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const registry = new ModelRegistry({ dir: root, signingKey: key });

  it('registers signed, content-addressed versions and reads them back', async () => {
    const m1 = await registry.register(input('pump', 1));
    expect(() => verifyManifest(m1, { [key.keyId]: key.publicKeyPem })).not.toThrow();
    expect(m1.artifact).toEqual({ file: 'model.onnx', sha256: sha256Hex(Buffer.from('pump-1-fp32')), bytes: 11 });
    expect(m1.variants?.['int8']?.file).toBe('model.int8.onnx');
    expect(registry.artifactPath(m1)).toBe(join(root, 'blobs', 'sha256', m1.artifact.sha256));
    expect(await readFile(registry.artifactPath(m1, 'int8'), 'utf8')).toBe('pump-1-int8');
    expect(Buffer.from(await registry.readArtifact(m1)).toString()).toBe('pump-1-fp32');
    await registry.register(input('pump', 2));
    await registry.register(input('fan', 5));
    expect((await registry.latest('pump'))?.version).toBe(2);
    expect(await registry.latest('nothing')).toBeUndefined();
    expect(await registry.get('pump', 1)).toEqual(m1);
    expect((await registry.list()).map((m) => `${m.name}@${m.version}`)).toEqual(['fan@5', 'pump@2', 'pump@1']);
  });

  it('stores identical artifacts once', async () => {
    const same = Buffer.from('shared-bytes');
    const a = await registry.register(input('dedupe', 1, same));
    const b = await registry.register(input('dedupe', 2, same));
    expect(registry.artifactPath(a)).toBe(registry.artifactPath(b));
  });

  it('BAD INPUT - version going backwards → VERSION_NOT_INCREASING', async () => {
    await registry.register(input('press', 3));
    expect(await codeOf(registry.register(input('press', 2)))).toBe('VERSION_NOT_INCREASING');
    expect((await registry.latest('press'))?.version).toBe(3);
  });

  it('BAD INPUT - version repeated, even by concurrent registers → VERSION_NOT_INCREASING', async () => {
    const results = await Promise.allSettled([
      registry.register(input('lathe', 1)),
      registry.register(input('lathe', 1)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as RegistryError).code).toBe('VERSION_NOT_INCREASING');
  });

  it('BAD INPUT - unknown name/version → NOT_FOUND; path-like name → NOT_FOUND', async () => {
    expect(await codeOf(registry.get('pump', 9))).toBe('NOT_FOUND');
    expect(await codeOf(registry.get('../etc', 1))).toBe('NOT_FOUND');
  });

  it('BAD INPUT - manifest breaking the contract, or empty artifact → INVALID_MANIFEST, nothing registered', async () => {
    expect(
      await codeOf(
        registry.register({ ...input('drill', 1), manifest: { ...input('drill', 1).manifest, threshold: Number.NaN } }),
      ),
    ).toBe('INVALID_MANIFEST');
    expect(await codeOf(registry.register(input('drill', 1, Buffer.alloc(0))))).toBe('INVALID_MANIFEST');
    expect(await registry.latest('drill')).toBeUndefined();
    expect(existsSync(join(root, 'blobs', 'sha256', sha256Hex(Buffer.from('drill-1-fp32'))))).toBe(false);
  });

  it('BAD INPUT - blob tampered on disk → readArtifact HASH_MISMATCH; manifest file corrupted → INVALID_MANIFEST', async () => {
    const m = await registry.register(input('mill', 1));
    await writeFile(registry.artifactPath(m), 'mill-1-fp3X');
    expect(await codeOf(registry.readArtifact(m))).toBe('HASH_MISMATCH');
    await registry.register(input('mill', 2, Buffer.from('mill-1-fp32'))); // same bytes again: the damaged blob is rewritten
    expect(Buffer.from(await registry.readArtifact(m)).toString()).toBe('mill-1-fp32');
    await writeFile(join(root, 'models', 'mill', '1', 'manifest.json'), '{"name":');
    expect(await codeOf(registry.get('mill', 1))).toBe('INVALID_MANIFEST');
  });
});
