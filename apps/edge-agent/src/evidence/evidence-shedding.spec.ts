import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTopic,
  decodePublish,
  isPublishOn,
  SeqTracker,
  type DeviceState,
  type RawSampleBatch,
} from '@takt/contracts';
import { sampleManifest } from '@takt/contracts/testing';
import { createLogger, freePort, waitFor } from '@takt/runtime';
import { connectClient, startMosquitto, tempDir, type MosquittoServer } from '@takt/testing';
import { EdgeAgent } from '../agent.js';
import { agentConfigSchema } from '../config.js';
import { installModels } from '../testing/installed-models.js';
import { kmeansModel, visionCnnModel } from '../testing/onnx-models.js';

const cam = { site: 'plant-a', line: 'line-1', device: 'cam-1' };
const machine = { site: 'plant-a', line: 'line-1', device: 'mach-1' };
const FRAMES = 300;
const EVIDENCE_CAP = 64 * 1024;

/** A TCP relay to the broker that starts listening only when asked: the agent's upstream link is down until then. */
function laterRelay(port: number, target: number): { open: () => Promise<void>; close: () => Promise<void> } {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const up = connect(target, '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => (client.destroy(), up.destroy(), sockets.delete(s)));
    }
    client.pipe(up).pipe(client);
  });
  return {
    open: () =>
      new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve())),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** 100 ms of 1 kHz vibration: calm, or loud between `loud[0]` and `loud[1]` (batch index). */
function raw(k: number, loud: [number, number]): RawSampleBatch {
  const t0 = 1_767_225_600_000 + k * 100;
  const a = k >= loud[0] && k < loud[1] ? 12 : 1;
  return {
    schemaVersion: 1,
    deviceId: machine.device,
    ts: t0 + 100,
    seq: k,
    t0,
    sensors: {
      vibration: {
        rate: 1000,
        values: Array.from({ length: 100 }, (_, i) => Math.round(a * Math.sin((t0 + i) * 0.9) * 1e4) / 1e4),
      },
      temperature: { rate: 10, values: [40] },
    },
  };
}

/** A 64×64 gray8 frame; the tiny test CNN is unsure of every one (5 classes, confidence well under 0.99). */
function frame(i: number): string {
  const px = Buffer.alloc(64 * 64);
  for (let k = 0; k < px.length; k++) px[k] = (k * 31 + i * 17) % 256;
  return JSON.stringify({
    schemaVersion: 1,
    deviceId: cam.device,
    ts: Date.now(),
    seq: i,
    frameId: `f-${i}`,
    width: 64,
    height: 64,
    encoding: 'gray8',
    data: px.toString('base64'),
  });
}

describe('acceptance: a flood of evidence never costs telemetry, events or inspections (real agent, broker, onnxruntime)', () => {
  const dir = tempDir('takt-evidence-flood-');
  let broker: MosquittoServer;
  let relay: ReturnType<typeof laterRelay>;
  let agent: EdgeAgent;
  let plant: MqttClient;
  let cloud: MqttClient;
  const seqs = new Map<string, SeqTracker>();
  const states: DeviceState[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    const upPort = await freePort();
    relay = laterRelay(upPort, broker.port);
    const dataDir = join(dir.path, 'data');
    const trustedKeys = await installModels(dataDir, [
      {
        device: cam.device,
        bytes: visionCnnModel({ height: 32, width: 32, classes: 5 }),
        manifest: sampleManifest({
          name: 'cam-vision',
          kind: 'cnn-vision',
          version: 1,
          input: { name: 'image', shape: [null, 32, 32, 1], dtype: 'float32' },
          outputs: [{ name: 'probs', shape: [null, 5] }],
          classes: ['ok', 'scratch', 'pit', 'crack', 'stain'],
        }),
      },
      {
        device: machine.device,
        bytes: kmeansModel({ centroids: [[0]], center: [0], scale: [1] }),
        manifest: sampleManifest({
          name: 'mach-anomaly',
          version: 1,
          input: { name: 'features', shape: [null, 1], dtype: 'float32', featureNames: ['vibration.rms'] },
          threshold: 3,
          smoothing: { alpha: 1, openAfterMs: 300, closeAfterMs: 1_000 },
        }),
      },
    ]);
    cloud = await connectClient(broker.url);
    cloud.on('message', (topic, payload) => {
      const d = decodePublish(topic, payload);
      const key = `${d.topic.device}/${d.topic.channel}`;
      if (!seqs.has(key)) seqs.set(key, new SeqTracker());
      seqs.get(key)!.add(d.message.seq);
      if (isPublishOn(d, 'state')) states.push(d.message);
    });
    await cloud.subscribeAsync('takt/v1/plant-a/line-1/+/#', { qos: 1 });
    const config = agentConfigSchema.parse({
      dataDir,
      source: { url: broker.url },
      upstream: { url: `mqtt://127.0.0.1:${upPort}`, reconnectMs: 50, reconnectMaxMs: 200 },
      devices: [cam, machine],
      stateIntervalMs: 300,
      heartbeatIntervalMs: 60_000,
      backlog: { frames: FRAMES },
      outbox: { kind: 'disk', maxBytes: 8 << 20 }, // the durable outbox a box runs
      rollout: { trustedKeys },
      evidence: {
        outboxMaxBytes: EVIDENCE_CAP,
        frames: { uncertainBelow: 0.99 },
        budget: { bytesPerSecond: 1e9, burstBytes: 1 << 30 },
      },
    });
    agent = await EdgeAgent.start(config, createLogger('evidence-flood-test'));
    plant = await connectClient(broker.url);
  }, 60_000);

  afterAll(async () => {
    plant?.end(true);
    cloud?.end(true);
    await agent?.stop(100);
    await relay?.close();
    await broker?.close();
    dir.remove();
  });

  it('with the upstream link down, a flood of unsure frames fills only the evidence cap; once it is back every telemetry, feature, event and inspection arrives without a gap, and the shed evidence is counted in state', async () => {
    for (let k = 0; k < 100; k++)
      plant.publish(buildTopic({ ...machine, channel: 'raw' }), JSON.stringify(raw(k, [30, 60])));
    for (let i = 0; i < FRAMES; i++) plant.publish(buildTopic({ ...cam, channel: 'camera' }), frame(i));
    const pending = (device: string, channel: string) =>
      agent.outbox.pending(0, 1e6).filter((e) => e.deviceId === device && e.channel === channel);
    await waitFor('every frame inspected', async () => pending(cam.device, 'inspection').length === FRAMES, 45_000);
    await waitFor(
      'the anomaly event opened and closed',
      async () => pending(machine.device, 'anomaly').length === 2,
      15_000,
    );
    await agent.idle();

    const stats = agent.outbox.stats();
    expect(Object.keys(stats.shedByChannel)).toEqual(['evidence']); // nothing else was shed
    expect(stats.shedByChannel.evidence).toBeGreaterThan(FRAMES / 2);
    expect(stats.evidenceBytes).toBeLessThanOrEqual(EVIDENCE_CAP);
    const expected = new Map<string, number>();
    for (const [device, channel] of [
      [machine.device, 'telemetry'],
      [machine.device, 'features'],
      [machine.device, 'anomaly'],
      [cam.device, 'inspection'],
    ] as const) {
      const entries = pending(device, channel);
      expect(
        entries.map((e) => e.seq),
        `${device}/${channel}`,
      ).toEqual(entries.map((_, i) => i));
      expected.set(`${device}/${channel}`, entries.length);
    }
    expect(expected.get('mach-1/telemetry')).toBeGreaterThanOrEqual(8);

    await relay.open(); // the upstream link comes back
    const delivered = () =>
      [...expected].every(([key, n]) => (seqs.get(key)?.report().received ?? 0) >= n) &&
      seqs.get('cam-1/evidence')?.report().max === FRAMES - 1;
    await waitFor('everything delivered', async () => delivered(), 30_000);
    for (const [key, n] of expected) {
      const r = seqs.get(key)!.report();
      expect(r, key).toMatchObject({ gaps: [], min: 0, max: n - 1 });
    }
    const evidence = seqs.get('cam-1/evidence')!.report();
    expect(evidence.received).toBeLessThan(FRAMES / 2);
    expect(evidence.min).toBeGreaterThan(0); // the oldest pieces were shed: a gap on the evidence channel only
    expect(evidence.max).toBe(FRAMES - 1);

    // every unsure frame was queued; what did not arrive was shed, and the device's state says how much
    const counted = () =>
      states.find((s) => s.deviceId === cam.device && s.evidence?.shed.uncertain === FRAMES - evidence.received);
    await waitFor('a state counting the shed evidence', async () => counted() !== undefined, 10_000);
    expect(counted()!.evidence).toMatchObject({ queued: { uncertain: FRAMES }, rateLimited: {} });
    expect(counted()!.evidence!.rateLimited).toEqual({});
  }, 120_000);
});
