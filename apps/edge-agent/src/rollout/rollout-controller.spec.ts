import { writeFileSync } from 'node:fs';
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

const address = { site: 'plant-1', line: 'line-1', device: 'press-01' };
const key = generateSigningKey('takt-test');
const TOKEN = 'edge-reader-token';

describe('RolloutController', () => {
  const dir = tempDir('takt-rollout-');
  let server: Awaited<ReturnType<typeof startArtifactServer>>;
  /** a host a forged message could name: it must never be asked anything */
  let elsewhere: Awaited<ReturnType<typeof startArtifactServer>>;
  let registry: ModelRegistry;
  let unsignedRegistry: ModelRegistry;
  const models = new DeviceModels();
  const reports: RolloutReport[] = [];
  let controller: RolloutController;
  let version = 0;

  /** Registers a K-means model and serves it; returns the desired-model message for it. */
  async function publish(
    bytes: Uint8Array,
    opts: { signed?: boolean; tamper?: boolean; featureNames?: string[] } = {},
  ): Promise<DesiredModel> {
    version++;
    const base = sampleManifest({
      name: 'press-anomaly',
      version,
      input: {
        name: 'features',
        shape: [null, 2],
        dtype: 'float32',
        featureNames: opts.featureNames ?? ['vibration.rms', 'vibration.kurtosis'],
      },
    });
    const { artifact: _a, signature: _s, variants: _v, ...manifest } = base;
    const reg = opts.signed === false ? unsignedRegistry : registry;
    const m: ModelManifest = await reg.register({ manifest, artifact: bytes });
    let file = reg.artifactPath(m);
    if (opts.tamper) {
      const evil = Buffer.from(bytes);
      evil[evil.length - 3] ^= 0x01;
      file = join(dir.path, `evil-${version}.onnx`);
      writeFileSync(file, evil);
    }
    server.files.set(m.artifact.sha256, { file, sha256: m.artifact.sha256 });
    // the message's URL points at another host: the agent must never follow it
    return {
      schemaVersion: 1,
      deviceId: address.device,
      ts: Date.now(),
      seq: version,
      rolloutId: `ro-${version}`,
      manifest: m,
      artifactUrl: `${elsewhere.url}/steal`,
    };
  }

  /** a valid K-means model; `c` makes its bytes (and hash) differ */
  const good = (c = 1) =>
    kmeansModel({
      centroids: [
        [0, 0],
        [c, c],
      ],
      center: [0, 0],
      scale: [1, 1],
    });
  const last = () => reports[reports.length - 1];

  beforeAll(async () => {
    server = await startArtifactServer(TOKEN);
    elsewhere = await startArtifactServer(TOKEN);
    registry = new ModelRegistry({ dir: join(dir.path, 'reg'), signingKey: key });
    unsignedRegistry = new ModelRegistry({ dir: join(dir.path, 'reg-unsigned') });
    const store = new ModelStore(join(dir.path, 'edge'));
    await store.open();
    controller = new RolloutController({
      ort: await loadOrt(),
      store,
      session: { providers: ['cuda', 'cpu'] },
      trustedKeys: { [key.keyId]: key.publicKeyPem },
      token: TOKEN,
      registryUrl: server.url,
      maxArtifactBytes: 16 << 20,
      downloadRetries: 1,
      smokeBudgetMs: 1_000,
      models: () => models,
      report: (_a, r) => reports.push(r),
      logger: createLogger('test'),
    });
    models.recorded.features = { 'vibration.rms': 0.4, 'vibration.kurtosis': 3.1, 'vibration.mean': 0 };
  });
  afterAll(async () => {
    await models.releaseAll();
    expect(elsewhere.requests).toEqual([]); // no artifact URL from a message was followed, no token sent elsewhere
    await server.close();
    await elsewhere.close();
    dir.remove();
  });

  it('applies a signed, intact model: downloads with the bearer token, smoke-tests, swaps, reports the provider fallback', async () => {
    const d = await publish(good());
    await controller.handle(address, d);
    expect(reports.map((r) => r.status)).toEqual(['downloading', 'verifying', 'applied']);
    expect(models.current('kmeans-anomaly')?.manifest.version).toBe(d.manifest.version);
    expect(models.current('kmeans-anomaly')?.provider).toBe('cpu');
    expect(server.requests.some((r) => r.endsWith(`Bearer ${TOKEN}`))).toBe(true);
  });

  it('BAD INPUT - a tampered artifact is refused (HASH_MISMATCH) and the running model stays', async () => {
    const before = models.current('kmeans-anomaly');
    await controller.handle(address, await publish(good(2), { tamper: true }));
    expect(last()).toMatchObject({ status: 'rejected', code: 'HASH_MISMATCH' });
    expect(models.current('kmeans-anomaly')).toBe(before);
  });

  it('BAD INPUT - an unsigned manifest is refused (UNSIGNED) before anything is downloaded', async () => {
    const n = server.requests.length;
    await controller.handle(address, await publish(good(), { signed: false }));
    expect(last()).toMatchObject({ status: 'rejected', code: 'UNSIGNED' });
    expect(server.requests.length).toBe(n);
  });

  it('BAD INPUT - a manifest whose signed fields were edited is refused (BAD_SIGNATURE)', async () => {
    const d = await publish(good());
    await controller.handle(address, { ...d, manifest: { ...d.manifest, threshold: 99 } });
    expect(last()).toMatchObject({ status: 'rejected', code: 'BAD_SIGNATURE' });
  });

  it('a model with the wrong input shape is rolled back; the previous model keeps running', async () => {
    const before = models.current('kmeans-anomaly');
    await controller.handle(
      address,
      await publish(kmeansModel({ centroids: [[0, 0, 0]], center: [0, 0, 0], scale: [1, 1, 1] })),
    );
    expect(last()).toMatchObject({ status: 'rolled-back', reason: expect.stringMatching(/shape/) });
    expect(models.current('kmeans-anomaly')).toBe(before);
  });

  it('a model with NaN outputs is rolled back by the smoke test', async () => {
    const before = models.current('kmeans-anomaly');
    await controller.handle(
      address,
      await publish(kmeansModel({ centroids: [[0, 0]], center: [0, 0], scale: [1, 1], poison: 'nan' })),
    );
    expect(last()).toMatchObject({
      status: 'rolled-back',
      code: 'SMOKE_TEST_FAILED',
      reason: expect.stringMatching(/NaN/),
    });
    expect(models.current('kmeans-anomaly')).toBe(before);
  });

  it('a model wanting features the device does not produce is rolled back', async () => {
    await controller.handle(address, await publish(good(), { featureNames: ['spindle.rms', 'spindle.peak'] }));
    expect(last()).toMatchObject({ status: 'rolled-back', reason: expect.stringMatching(/spindle\.rms/) });
  });

  it('a newer good model swaps in and keeps the old one for rollback; a repeated desired message is a no-op', async () => {
    const old = models.current('kmeans-anomaly');
    const d = await publish(good(3));
    await controller.handle(address, d);
    expect(last().status).toBe('applied');
    expect(models.previous('kmeans-anomaly')).toBe(old);
    const n = reports.length;
    await controller.handle(address, d);
    expect(reports.length).toBe(n);
    expect(models.rollback('kmeans-anomaly')?.manifest.version).toBe(d.manifest.version);
    expect(models.current('kmeans-anomaly')).toBe(old);
  });
});
