import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signRollbackGrant } from '@takt/model-registry';
import { createLogger } from '@takt/runtime';
import { loadOrt } from '../inference/ort.js';
import { startRolloutFixture, type RolloutFixture } from '../testing/rollout-fixture.js';
import { ModelStore } from './model-store.js';
import { RolloutController } from './rollout-controller.js';

// The model supply chain cannot be rolled back or redirected by whoever can publish model/desired.
const press = { site: 's', line: 'l', device: 'press-1' };

describe('rollout supply chain: no downgrade without a signed grant, artifacts only from the configured registry', () => {
  let f: RolloutFixture;
  beforeEach(async () => {
    f = await startRolloutFixture();
  });
  afterEach(async () => {
    await f.close();
  });
  const current = () => f.models(press.device).current('kmeans-anomaly')?.manifest.version;
  const grant = (version: number, devices = [press.device], now?: number) =>
    signRollbackGrant(
      { model: 'press-anomaly', version, devices, ...(now ? { now, ttlMs: 1_000 } : {}) },
      f.signingKey.privateKeyPem,
      f.signingKey.keyId,
    );

  it('BAD INPUT - a correctly signed older version is refused (DOWNGRADE_REFUSED); with a signed rollback grant for it it applies', async () => {
    const v1 = await f.desired(press, 1);
    const v2 = await f.desired(press, 2);
    await f.controller.handle(press, v1);
    await f.controller.handle(press, v2);
    expect(current()).toBe(2);
    await f.controller.handle(press, { ...v1, rolloutId: 'replay-1' });
    expect(f.reports(press.device).at(-1)).toMatchObject({ status: 'rejected', code: 'DOWNGRADE_REFUSED', version: 1 });
    expect(current()).toBe(2);
    // grants that do not cover this device, or expired long ago, do not help
    await f.controller.handle(press, { ...v1, rolloutId: 'replay-2', rollbackGrant: grant(1, ['press-9']) });
    await f.controller.handle(press, {
      ...v1,
      rolloutId: 'replay-3',
      rollbackGrant: grant(1, [press.device], Date.now() - 10_000),
    });
    expect(
      f
        .reports(press.device)
        .filter((r) => r.status === 'rejected')
        .map((r) => r.code),
    ).toEqual(['DOWNGRADE_REFUSED', 'DOWNGRADE_REFUSED', 'DOWNGRADE_REFUSED']);
    await f.controller.handle(press, { ...v1, rolloutId: 'rollback-1', rollbackGrant: grant(1) });
    expect(f.reports(press.device).at(-1)).toMatchObject({ status: 'applied', version: 1 });
    expect(current()).toBe(1);
  });

  it('the high-water mark survives a restart: a fresh store on the same folder still refuses the older version', async () => {
    const v1 = await f.desired(press, 1);
    await f.controller.handle(press, v1);
    await f.controller.handle(press, await f.desired(press, 2));
    const reopened = new ModelStore(f.dataDir);
    await reopened.open();
    expect(reopened.highWater(press.device, 'press-anomaly')).toBe(2);
    expect(reopened.highWater(press.device, 'other-model')).toBe(0);
  });

  it('BAD INPUT - an artifact over maxArtifactBytes is refused before any download; without registryUrl nothing is fetched', async () => {
    const v1 = await f.desired(press, 1);
    const base = {
      ort: await loadOrt(),
      store: f.store,
      session: { providers: ['cpu' as const] },
      trustedKeys: { [f.signingKey.keyId]: f.signingKey.publicKeyPem },
      downloadRetries: 0,
      smokeBudgetMs: 1_000,
      models: f.models,
      logger: createLogger('test'),
    };
    const reports: { code?: string }[] = [];
    const small = new RolloutController({
      ...base,
      registryUrl: 'http://127.0.0.1:9',
      maxArtifactBytes: 10,
      report: (_a, r) => reports.push(r),
    });
    await small.handle(press, v1);
    const none = new RolloutController({ ...base, maxArtifactBytes: 1 << 20, report: (_a, r) => reports.push(r) });
    await none.handle({ ...press, device: 'press-2' }, { ...v1, deviceId: 'press-2' });
    expect(reports.filter((r) => r.code).map((r) => r.code)).toEqual(['ROLLOUT_REFUSED', 'NO_REGISTRY']);
    expect(f.requests).toEqual([]);
  });
});
