import { join } from 'node:path';
import type { DesiredModel, DeviceAddress, ModelManifest } from '@takt/contracts';
import { sampleManifest } from '@takt/contracts/testing';
import { generateSigningKey, ModelRegistry, type SigningKey } from '@takt/model-registry';
import { createLogger } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { DeviceModels } from '../device/device-models.js';
import { loadOrt } from '../inference/ort.js';
import { ModelStore } from '../rollout/model-store.js';
import { RolloutController, type RolloutReport } from '../rollout/rollout-controller.js';
import { startArtifactServer } from './artifact-server.js';
import { kmeansModel } from './onnx-models.js';

const TOKEN = 'edge-reader-token';
export const FEATURES = ['vibration.rms', 'vibration.kurtosis'];

/** A K-means model over {@link FEATURES}; `c` makes its bytes (and hash) differ. */
export const goodKmeans = (c = 1) =>
  kmeansModel({
    centroids: [
      [0, 0],
      [c, c],
    ],
    center: [0, 0],
    scale: [1, 1],
  });

/**
 * A rollout controller wired to a real registry, artifact server and onnxruntime, with the model
 * store a test hands in (a faulty one, to inject failures). Devices record plausible features.
 */
export interface RolloutFixture {
  controller: RolloutController;
  store: ModelStore;
  dataDir: string;
  /** requests the artifact server answered: `METHOD URL AUTHORIZATION` */
  requests: string[];
  reports: (device: string) => RolloutReport[];
  models: (device: string) => DeviceModels;
  /** registers and serves a model (a good K-means one by default) and returns the desired-model message */
  desired: (address: DeviceAddress, version: number, bytes?: Uint8Array) => Promise<DesiredModel>;
  /** the key the registry signs with (trusted by the controller), for signing rollback grants */
  signingKey: SigningKey;
  close: () => Promise<void>;
}

export async function startRolloutFixture(
  makeStore: (dataDir: string) => ModelStore = (d) => new ModelStore(d),
): Promise<RolloutFixture> {
  const dir = tempDir('takt-rollout-fixture-');
  const key = generateSigningKey('takt-test');
  const server = await startArtifactServer(TOKEN);
  const registry = new ModelRegistry({ dir: join(dir.path, 'reg'), signingKey: key });
  const dataDir = join(dir.path, 'edge');
  const store = makeStore(dataDir);
  await store.open();
  const models = new Map<string, DeviceModels>();
  const reports = new Map<string, RolloutReport[]>();
  const modelsOf = (device: string) => {
    let m = models.get(device);
    if (!m) models.set(device, (m = new DeviceModels()));
    m.recorded.features ??= { 'vibration.rms': 0.4, 'vibration.kurtosis': 3.1 };
    return m;
  };
  const controller = new RolloutController({
    ort: await loadOrt(),
    store,
    session: { providers: ['cpu'] },
    trustedKeys: { [key.keyId]: key.publicKeyPem },
    token: TOKEN,
    registryUrl: server.url,
    maxArtifactBytes: 16 << 20,
    downloadRetries: 1,
    smokeBudgetMs: 1_000,
    models: modelsOf,
    report: (a, r) => reports.set(a.device, [...(reports.get(a.device) ?? []), r]),
    logger: createLogger('test'),
  });
  const desired = async (
    address: DeviceAddress,
    version: number,
    bytes = goodKmeans(version),
  ): Promise<DesiredModel> => {
    const base = sampleManifest({
      name: 'press-anomaly',
      version,
      input: { name: 'features', shape: [null, 2], dtype: 'float32', featureNames: FEATURES },
    });
    const { artifact: _a, signature: _s, variants: _v, ...manifest } = base;
    const m: ModelManifest = await registry.register({ manifest, artifact: bytes });
    server.files.set(m.artifact.sha256, { file: registry.artifactPath(m), sha256: m.artifact.sha256 });
    return {
      schemaVersion: 1,
      deviceId: address.device,
      ts: Date.now(),
      seq: version,
      rolloutId: `ro-${version}`,
      manifest: m,
      artifactUrl: `${server.url}/api/artifacts/sha256/${m.artifact.sha256}`,
    };
  };
  const close = async () => {
    for (const m of models.values()) await m.releaseAll();
    await server.close();
    dir.remove();
  };
  return {
    controller,
    store,
    dataDir,
    requests: server.requests,
    reports: (d) => reports.get(d) ?? [],
    models: modelsOf,
    desired,
    signingKey: key,
    close,
  };
}
