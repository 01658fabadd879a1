import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@takt/runtime';
import { loadOrt } from '../inference/ort.js';
import { kmeansModel } from '../testing/onnx-models.js';
import { startRolloutFixture, type RolloutFixture } from '../testing/rollout-fixture.js';
import { ModelStore, type ActiveFile } from './model-store.js';
import { RolloutController, type RolloutReport } from './rollout-controller.js';

const address = { site: 'plant-1', line: 'line-1', device: 'press-01' };
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** A model store whose next `failures` saves fail like a full disk. */
class FullDiskStore extends ModelStore {
  failures = 0;
  protected override write(active: ActiveFile): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(enospc());
    }
    return super.write(active);
  }
}

describe('RolloutController under faults', () => {
  let f: RolloutFixture;
  afterEach(async () => f?.close());

  it('BAD DISK - a failed save of the active model rolls that rollout back, and the next desired model still applies', async () => {
    f = await startRolloutFixture((dir) => new FullDiskStore(dir));
    (f.store as FullDiskStore).failures = 1;
    await f.controller.handle(address, await f.desired(address, 1));
    expect(f.reports(address.device).at(-1)).toMatchObject({
      status: 'rolled-back',
      code: 'MODEL_STORE_FAILED',
      version: 1,
    });
    expect(f.models(address.device).current('kmeans-anomaly')).toBeUndefined();
    await f.controller.handle(address, await f.desired(address, 2));
    expect(f.reports(address.device).at(-1)).toMatchObject({ status: 'applied', version: 2 });
    expect(f.models(address.device).current('kmeans-anomaly')?.manifest.version).toBe(2);
    const reopened = new ModelStore(f.dataDir);
    await reopened.open();
    expect(reopened.activeFor(address.device).map((m) => m.version)).toEqual([2]);
  });

  it('the same desired model is tried again after a failed save (it is not marked decided)', async () => {
    f = await startRolloutFixture((dir) => new FullDiskStore(dir));
    (f.store as FullDiskStore).failures = 1;
    const d = await f.desired(address, 1);
    await f.controller.handle(address, d);
    await f.controller.handle(address, d);
    expect(f.reports(address.device).at(-1)).toMatchObject({ status: 'applied', version: 1 });
  });

  it('a run-time rollback is saved: after a restart the device comes back on the model it fell back to', async () => {
    f = await startRolloutFixture();
    await f.controller.handle(address, await f.desired(address, 1));
    await f.controller.handle(address, await f.desired(address, 2));
    expect(f.models(address.device).rollback('kmeans-anomaly')?.manifest.version).toBe(2);
    await f.controller.persistRollback(address, 'kmeans-anomaly');
    const reopened = new ModelStore(f.dataDir);
    await reopened.open();
    expect(reopened.activeFor(address.device).map((m) => m.version)).toEqual([1]);
  });

  it('BAD MODEL - a stored model that fails its smoke test is not restored', async () => {
    f = await startRolloutFixture();
    const nan = await f.desired(
      address,
      1,
      kmeansModel({ centroids: [[0, 0]], center: [0, 0], scale: [1, 1], poison: 'nan' }),
    );
    await f.controller.handle(address, nan); // downloads the artifact, refuses the model
    expect(f.reports(address.device).at(-1)).toMatchObject({ status: 'rolled-back', code: 'SMOKE_TEST_FAILED' });
    await f.store.setActive(address.device, nan.manifest); // as a build without the smoke test on restore would have left it
    await f.controller.restore(address);
    expect(f.models(address.device).current('kmeans-anomaly')).toBeUndefined();
  });
});

describe('RolloutController under a flood of model/desired', () => {
  let f: RolloutFixture;
  afterEach(async () => f?.close());

  it('1,000 rapid flips between two models: every call settles, only the newest is applied, the device ends on it', async () => {
    f = await startRolloutFixture();
    const [v1, v2] = [await f.desired(address, 1), await f.desired(address, 2)];
    const flips = Array.from({ length: 1_000 }, (_, i) =>
      f.controller.handle(address, { ...(i % 2 ? v2 : v1), rolloutId: `flip-${i}` }),
    );
    await Promise.all(flips);
    expect(f.models(address.device).current('kmeans-anomaly')?.manifest.version).toBe(2);
    const applied = f.reports(address.device).filter((r) => r.status === 'applied');
    expect(applied.map((r) => r.rolloutId)).toEqual(['flip-999']);
  });
});

describe('RolloutController with a registry that stalls', () => {
  let f: RolloutFixture;
  let stall: Server | undefined;
  afterEach(async () => {
    stall?.closeAllConnections();
    await new Promise((r) => stall?.close(r));
    await f?.close();
  });

  it('BAD REGISTRY - a download that never finishes is given up after downloadTimeoutMs, the device keeps its model, and the rollout is tried again when the desired model comes back', async () => {
    f = await startRolloutFixture();
    await f.controller.handle(address, await f.desired(address, 1));
    stall = createServer((_req, res) => res.writeHead(200, { 'content-length': '1000000' })); // headers, then nothing
    await new Promise<void>((r) => stall?.listen(0, '127.0.0.1', r));
    const reports: RolloutReport[] = [];
    const controller = new RolloutController({
      ort: await loadOrt(),
      store: f.store,
      session: { providers: ['cpu'] },
      trustedKeys: { [f.signingKey.keyId]: f.signingKey.publicKeyPem },
      registryUrl: `http://127.0.0.1:${(stall.address() as AddressInfo).port}`,
      maxArtifactBytes: 1 << 20,
      downloadRetries: 0,
      downloadTimeoutMs: 300,
      smokeBudgetMs: 1_000,
      models: f.models,
      report: (_a, r) => reports.push(r),
      logger: createLogger('test'),
    });
    const v2 = await f.desired(address, 2);
    await controller.handle(address, v2);
    await controller.handle(address, v2); // the retained message again, after a reconnect
    expect(reports.filter((r) => r.status === 'rejected').map((r) => r.code)).toEqual(['ABORTED', 'ABORTED']);
    expect(f.models(address.device).current('kmeans-anomaly')?.manifest.version).toBe(1);
  });
});
