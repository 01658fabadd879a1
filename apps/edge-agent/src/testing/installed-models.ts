import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelManifest } from '@takt/contracts';
import { generateSigningKey, ModelRegistry } from '@takt/model-registry';
import { ModelStore } from '../rollout/model-store.js';

/**
 * Signs models with a fresh key and puts them in an agent's data folder as a past rollout would
 * have left them, so the agent starts on them (restored, verified, smoke-tested). Returns the
 * `rollout.trustedKeys` the agent needs.
 */
export async function installModels(
  dataDir: string,
  models: { device: string; manifest: ModelManifest; bytes: Uint8Array }[],
): Promise<Record<string, string>> {
  const key = generateSigningKey('takt-test');
  const registry = new ModelRegistry({ dir: join(dataDir, '..', 'registry'), signingKey: key });
  const store = new ModelStore(dataDir);
  await store.open();
  for (const { device, manifest, bytes } of models) {
    const { artifact: _a, signature: _s, variants: _v, ...unsigned } = manifest;
    const m = await registry.register({ manifest: unsigned, artifact: bytes });
    await copyFile(registry.artifactPath(m), store.blobPath(m.artifact.sha256));
    await store.setActive(device, m);
  }
  return { [key.keyId]: key.publicKeyPem };
}
