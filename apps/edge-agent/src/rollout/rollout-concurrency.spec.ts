import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredModel, ModelManifest } from '@takt/contracts';
import { sampleManifest } from '@takt/contracts/testing';
import { generateSigningKey, ModelRegistry } from '@takt/model-registry';
import { createLogger } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { DeviceModels } from '../device/device-models.js';
import { loadOrt } from '../inference/ort.js';
import { startArtifactServer } from '../testing/artifact-server.js';
import { kmeansModel } from '../testing/onnx-models.js';
import { ModelStore } from './model-store.js';
import { RolloutController, type RolloutReport } from './rollout-controller.js';

const key = generateSigningKey('takt-test');
const TOKEN = 'edge-reader-token';
const devices = ['pump-1', 'motor-1', 'fan-1'];

/**
 * One edge box serving several machines gets the same model for all of them at once (a promoted
 * rollout): every device applies it, the artifact is fetched once, and the saved active models
 * name every device.
 */
describe('RolloutController - several devices of one box at once', () => {
  const dir = tempDir('takt-rollout-many-');
  let server: Awaited<ReturnType<typeof startArtifactServer>>;
  const models = new Map(devices.map((d) => [d, new DeviceModels()]));
  const reports = new Map<string, RolloutReport[]>();
  let controller: RolloutController;
  let desired: (device: string) => DesiredModel;

  beforeAll(async () => {
    server = await startArtifactServer(TOKEN);
    const registry = new ModelRegistry({ dir: join(dir.path, 'reg'), signingKey: key });
    const base = sampleManifest({ name: 'line-anomaly', version: 1, input: { name: 'features', shape: [null, 2], dtype: 'float32', featureNames: ['vibration.rms', 'vibration.kurtosis'] } });
    const { artifact: _a, signature: _s, variants: _v, ...manifest } = base;
    const m: ModelManifest = await registry.register({ manifest, artifact: kmeansModel({ centroids: [[0, 0], [1, 1]], center: [0, 0], scale: [1, 1] }) });
    server.files.set('m1', { file: registry.artifactPath(m), sha256: m.artifact.sha256 });
    desired = (device) => ({ schemaVersion: 1, deviceId: device, ts: Date.now(), seq: 0, rolloutId: 'ro-1', manifest: m, artifactUrl: `${server.url}m1` });
    const store = new ModelStore(join(dir.path, 'edge'));
    await store.open();
    for (const d of models.values()) d.recorded.features = { 'vibration.rms': 0.4, 'vibration.kurtosis': 3.1 };
    controller = new RolloutController({
      ort: await loadOrt(),
      store,
      session: { providers: ['cpu'] },
      trustedKeys: { [key.keyId]: key.publicKeyPem },
      token: TOKEN,
      downloadRetries: 1,
      smokeBudgetMs: 1_000,
      models: (deviceId) => models.get(deviceId)!,
      report: (a, r) => reports.set(a.device, [...(reports.get(a.device) ?? []), r]),
      logger: createLogger('test'),
    });
  });
  afterAll(async () => {
    for (const m of models.values()) await m.releaseAll();
    await server.close();
    dir.remove();
  });

  it('applies the model on every device, downloading the artifact once', async () => {
    await Promise.all(devices.map((device) => controller.handle({ site: 's', line: 'l', device }, desired(device))));
    for (const device of devices) {
      expect(reports.get(device)?.at(-1)?.status, device).toBe('applied');
      expect(models.get(device)!.current('kmeans-anomaly')?.manifest.version, device).toBe(1);
    }
    expect(server.requests.filter((r) => r.includes('m1')).length).toBe(1);
    const saved = JSON.parse(readFileSync(join(dir.path, 'edge', 'models', 'active.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(saved).sort()).toEqual([...devices].sort());
  });
});
