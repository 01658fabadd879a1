import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { tempDir } from '@takt/testing';
import { checkSeqs, drained, untilStable, writeSmallPlant } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Scenario 4: restart the broker, then influxd, mid-run — nothing is lost. Every device's
 * telemetry and features seqs are complete in InfluxDB from the first to the last (heartbeats are
 * best-effort liveness, QoS 0, and not seq-checked: deploy/edge/README.md, "What survives what").
 * (With in-memory broker persistence a restart forgets the ingestor's session, so messages PUBACKed
 * before it re-subscribes reach nobody: durable brokers keep sessions in redis.)
 */
describe('e2e: broker and influxd restarts lose nothing', () => {
  const dir = tempDir('takt-e2e-resilience-');
  let stack: Stack;
  let store: TelemetryStore;
  const devices = ['pump-1', 'motor-1', 'pump-2'];
  const t0 = Date.now();

  beforeAll(async () => {
    const plantFile = writeSmallPlant(dir.path, {
      layout: { 'plant-a': { 'line-1': ['pump-1', 'motor-1'], 'line-2': ['pump-2'] } },
    });
    // sessions must outlive the broker process: the ingestor's queued QoS 1 messages live in redis
    stack = await new Stack({ dir: dir.path, mode: 'source', plantFile, redisPersistence: true }).start();
    store = await TelemetryStore.connect({ url: stack.influx.url });
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await stack?.stop();
    if (!process.env['TAKT_E2E_KEEP']) dir.remove();
  }, 120_000);

  it('keeps every seq through a broker restart and an influxd restart', async () => {
    await sleep(8_000);
    await stack.brokers[0]!.process.restart();
    await sleep(8_000);
    await stack.influx.restart();
    await sleep(8_000);
    await stack.simulator!.process.stop();
    const channels = ['telemetry', 'features']; // heartbeats are best-effort (QoS 0): their seq is no delivery sequence
    const checks = await untilStable(
      () => Promise.all(devices.flatMap((d) => channels.map((c) => checkSeqs(store, d, c, t0 - 60_000)))),
      3_000,
      90_000,
      drained(),
    );
    for (const c of checks) {
      expect.soft(c.missing, `${c.device}/${c.channel} missing seqs`).toEqual([]);
      expect.soft(c.min, `${c.device}/${c.channel} first seq`).toBe(0);
    }
    const telemetry = checks.filter((c) => c.channel === 'telemetry');
    // ~24 s of 1 Hz telemetry per device, with two outages inside
    for (const c of telemetry) expect(c.count, `${c.device} telemetry points`).toBeGreaterThanOrEqual(15);
  }, 240_000);
});
