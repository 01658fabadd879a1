import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRolloutFixture, type RolloutFixture } from '../testing/rollout-fixture.js';

const devices = ['pump-1', 'motor-1', 'fan-1'];

/**
 * One edge box serving several machines gets the same model for all of them at once (a promoted
 * rollout): every device applies it, the artifact is fetched once, and the saved active models
 * name every device.
 */
describe('RolloutController - several devices of one box at once', () => {
  let f: RolloutFixture;
  beforeAll(async () => {
    f = await startRolloutFixture();
  });
  afterAll(async () => f.close());

  it('applies the model on every device, downloading the artifact once', async () => {
    const desired = await f.desired({ site: 's', line: 'l', device: devices[0] as string }, 1);
    await Promise.all(
      devices.map((device) => f.controller.handle({ site: 's', line: 'l', device }, { ...desired, deviceId: device })),
    );
    for (const device of devices) {
      expect(f.reports(device).at(-1)?.status, device).toBe('applied');
      expect(f.models(device).current('kmeans-anomaly')?.manifest.version, device).toBe(1);
    }
    expect(f.requests.filter((r) => r.includes(desired.manifest.artifact.sha256)).length).toBe(1);
    const saved = JSON.parse(readFileSync(join(f.dataDir, 'models', 'active.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(saved).sort()).toEqual([...devices].sort());
  });
});
