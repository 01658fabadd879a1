import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { decodePublish, isPublishOn, topicFilter, type DeviceState } from '@takt/contracts';
import { Stack } from '@takt/stack';
import { connectClient, tempDir } from '@takt/testing';
import { DashboardSession, eventually } from '../src/index.js';

interface Job {
  id: string;
  kind: string;
  model: string;
  status: string;
  trigger: string;
  version?: number;
  message?: string;
  runningSince?: number;
  finishedAt?: number;
}
interface Rollout {
  id: string;
  model: string;
  stage: string;
  version: number;
  updatedAt: number;
}
interface EvidenceItem {
  evidenceId: string;
  deviceId: string;
  kind: string;
  reason: string;
  truth?: string;
  prediction?: { label: string; confidence: number };
  label?: { label: string; source: string };
}

const VISION = 'plant-vision';
const FAULT = 'plant-fault';
const PUMP_SENSORS = {
  vibration: { rate: 2000 },
  temperature: { rate: 10 },
  current: { rate: 10 },
  pressure: { rate: 50 },
  flow: { rate: 10 },
};

/**
 * Issue 14's loop with real processes: a camera station and a pump on one line.
 * - Vision: a labelled simulator image set is uploaded as a user would (`takt-trainer evidence upload`), the trainer
 *   trains the vision CNN from the evidence store, canaries it and the camera station runs it; engineers relabel
 *   frames the edge kept as evidence through the dashboard API → a retraining job → v2 canaries and rolls out.
 * - Fault: the pump's raw windows come in as evidence; the simulator's truth channel labels them (marked as such)
 *   → the fault CNN trains and rolls out to the pump, and its verdicts show on the device page.
 */
describe('e2e: CNNs in the loop', () => {
  const dir = tempDir('takt-e2e-cnn-');
  let stack: Stack;
  let watcher: MqttClient;
  let dash: DashboardSession;
  const states = new Map<string, DeviceState>();

  const runs = (device: string, model: string, version: number) =>
    states.get(device)?.models.some((m) => m.name === model && m.version === version) ?? false;

  beforeAll(async () => {
    const plantFile = join(dir.path, 'plant.json');
    const fault = (id: string, kind: string, start: number) => ({
      id,
      kind,
      start,
      duration: 22,
      severity: 1,
      rampS: 1,
    });
    writeFileSync(
      plantFile,
      JSON.stringify({
        name: 'e2e-cnn',
        batchMs: 100,
        sites: [
          {
            id: 'plant-a',
            lines: [
              {
                id: 'line-1',
                machines: [
                  { id: 'cam-1', type: 'camera', camera: { fps: 4, size: 48, encoding: 'png', defectRate: 0.5 } },
                  {
                    id: 'pump-1',
                    type: 'pump',
                    sensors: PUMP_SENSORS,
                    faults: [
                      fault('f1', 'bearing-wear', 15),
                      fault('f2', 'cavitation', 45),
                      fault('f3', 'bearing-wear', 75),
                      fault('f4', 'cavitation', 105),
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    stack = await new Stack({
      dir: dir.path,
      mode: 'source',
      plantFile,
      seed: 5,
      trainer: true,
      dashboard: true,
      demoPassword: 'e2e-password',
      seedImages: { count: 160, size: 48 },
      // more evidence than the defaults (a frame in two, a healthy window every 2 s) so a test minutes long has enough
      edgeConfig: {
        evidence: {
          frames: { sampleRate: 0.5 },
          windows: { beforeMs: 3_000, afterMs: 3_000, healthyEveryMs: 2_000 },
          budget: { bytesPerSecond: 400_000, burstBytes: 4_000_000 },
        },
      },
      trainerConfig: {
        training: {
          vision: { size: 32, epochs: 15, patience: 6, minLabelled: 60, minPerClass: 3, retrainAfterLabels: 6 },
          fault: { windowMs: 1_000, length: 64, epochs: 12, minLabelled: 30, minPerClass: 8 },
          labelPollMs: 2_000,
          autoRollout: { canary: 1, watchMs: 4_000 },
        },
        evidence: { useSimulatorTruth: true },
      },
    }).start();
    watcher = await connectClient(stack.brokers[0]!.url, {
      username: 'dashboard',
      password: stack.secrets.broker.dashboard,
    });
    watcher.on('message', (topic, payload) => {
      try {
        const d = decodePublish(topic, payload);
        if (isPublishOn(d, 'state')) states.set(d.topic.device, d.message);
      } catch {
        // the broker validates; not ours to judge here
      }
    });
    await watcher.subscribeAsync(topicFilter({ channel: 'state' }), { qos: 1 });
    dash = await DashboardSession.signIn(stack.dashboard!.url, 'admin', 'e2e-password');
  }, 240_000);

  afterAll(async () => {
    watcher?.end(true);
    await stack?.stop();
    if (!process.env['TAKT_E2E_KEEP']) dir.remove();
  }, 120_000);

  const jobs = async () => (await dash.get<{ jobs: Job[] }>('/api/jobs')).jobs;
  const rollouts = async () => (await dash.get<{ rollouts: Rollout[] }>('/api/rollouts')).rollouts;

  async function promoted(model: string, version: number, timeoutMs: number): Promise<Rollout> {
    return eventually(
      `${model} v${version} rollout promoted`,
      async () => {
        const r = (await rollouts()).find((x) => x.model === model && x.version === version);
        if (r && (r.stage === 'rolled-back' || r.stage === 'failed'))
          throw new Error(`rollout of ${model} v${version} ${r.stage}`);
        return r?.stage === 'promoted' ? r : undefined;
      },
      timeoutMs,
      1_000,
    );
  }

  it('the uploaded image set trains vision v1, which canaries and runs on the camera station: inspections with confidence in the dashboard', async () => {
    const job = await eventually(
      'vision v1 trained',
      async () => {
        const j = (await jobs()).find((x) => x.model === VISION && x.status !== 'queued' && x.status !== 'running');
        if (j?.status === 'failed') throw new Error(`vision job failed: ${j.message}`);
        return j?.version === 1 ? j : undefined;
      },
      240_000,
      2_000,
    );
    process.stdout.write(`[e2e] vision v1: ${job.message}\n`);
    expect(job.kind).toBe('cnn-vision');
    await promoted(VISION, 1, 180_000);
    await eventually('cam-1 runs vision v1', async () => (runs('cam-1', VISION, 1) ? true : undefined), 60_000);
    const inspections = await eventually(
      'classified frames on the dashboard',
      async () => {
        const list = (
          await dash.get<{
            inspections: { deviceId: string; label: string; confidence: number; model: { version: number } }[];
          }>('/api/inspections')
        ).inspections;
        const mine = list.filter((i) => i.deviceId === 'cam-1' && i.model.version === 1);
        return mine.length >= 5 ? mine : undefined;
      },
      60_000,
    );
    for (const i of inspections) expect(i.confidence).toBeGreaterThan(0);
  }, 480_000);

  it('engineers relabel frames kept as evidence through the dashboard → a retraining job → v2 canaries and rolls out to the camera station', async () => {
    const frames = await eventually(
      'frame evidence from cam-1',
      async () => {
        const items = (
          await dash.get<{ items: EvidenceItem[] }>('/api/evidence?kind=frame&device=cam-1&limit=50')
        ).items.filter((e) => e.truth !== undefined);
        return items.length >= 6 ? items : undefined;
      },
      120_000,
      2_000,
    );
    const relabelledAt = Date.now();
    // an engineer confirms or corrects each frame's class: here from what the part really was
    for (const f of frames.slice(0, 6)) await dash.post(`/api/evidence/${f.evidenceId}/label`, { label: f.truth });
    const job = await eventually(
      'a retraining job from the new labels',
      async () => {
        const j = (await jobs()).find((x) => x.model === VISION && x.trigger === 'labels');
        if (j?.status === 'failed') throw new Error(`vision retraining failed: ${j.message}`);
        return j?.status === 'succeeded' ? j : undefined;
      },
      240_000,
      2_000,
    );
    process.stdout.write(`[e2e] vision retraining: ${job.message}\n`);
    expect(job.version, `the candidate passed the gate (${job.message})`).toBe(2);
    await promoted(VISION, 2, 120_000);
    await eventually('cam-1 runs vision v2', async () => (runs('cam-1', VISION, 2) ? true : undefined), 60_000);
    process.stdout.write(`[e2e] relabel → v2 running on cam-1: ${((Date.now() - relabelledAt) / 1000).toFixed(1)} s\n`);
  }, 480_000);

  it('raw windows labelled by the simulator truth train fault CNN v1, which rolls out to the pump; its verdicts show on the device page', async () => {
    const job = await eventually(
      'fault v1 trained',
      async () => {
        const j = (await jobs()).find((x) => x.model === FAULT && x.status !== 'queued' && x.status !== 'running');
        if (j?.status === 'failed') throw new Error(`fault job failed: ${j.message}`);
        return j?.version === 1 ? j : undefined;
      },
      300_000,
      2_000,
    );
    process.stdout.write(`[e2e] fault v1: ${job.message}\n`);
    await promoted(FAULT, 1, 120_000);
    await eventually('pump-1 runs fault v1', async () => (runs('pump-1', FAULT, 1) ? true : undefined), 60_000);
    expect(runs('cam-1', FAULT, 1), 'the camera station has no raw windows: no fault model').toBe(false);
    const device = await eventually(
      'fault verdicts on the device page',
      async () => {
        const d = await dash.get<{
          faults: { label: string; confidence: number; model: { name: string; version: number } }[];
        }>('/api/devices/pump-1');
        return d.faults.some((f) => f.model.name === FAULT) ? d : undefined;
      },
      60_000,
    );
    expect(device.faults.at(-1)!.confidence).toBeGreaterThan(0);
  }, 480_000);
});
