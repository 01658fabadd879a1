import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, decodePublish, encode, type MessageInput } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { DiskBlobStore, encodeGrayPng, windowBlob } from '@takt/evidence-store';
import { generateSigningKey, ModelRegistry, verifyManifest } from '@takt/model-registry';
import { createLogger } from '@takt/runtime';
import { evidenceInputOf, evidenceLine, TelemetryStore } from '@takt/telemetry-store';
import { startInfluxd, tempDir, type InfluxdServer } from '@takt/testing';
import { runFaultJob, runVisionJob, type CnnJobDeps } from './cnn-jobs.js';
import { trainerServiceConfigSchema } from './config.js';
import { ApprovalQueue } from './approvals.js';
import { TrainingJobs } from './jobs.js';
import type { ClassifierGateReport, JobRecord } from './records.js';
import { TrainingScheduler } from './scheduler.js';

const T = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
const addr = { site: 'plant-a', line: 'line-1' };
const dir = tempDir('takt-cnn-jobs-');
const key = generateSigningKey('cnn-test');
const logger = createLogger('cnn-jobs-test');

/** Seeded uniform numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 24×24 part: `ok` is plain noise, `scratch` has a bright diagonal line, `pit` a dark blob. */
function part(cls: 'ok' | 'scratch' | 'pit', r: () => number): Buffer {
  const n = 24;
  const px = new Uint8Array(n * n);
  const off = Math.floor(r() * 8);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let v = 120 + r() * 30;
      if (cls === 'scratch' && Math.abs(x - y - off + 4) <= 1) v = 250;
      if (cls === 'pit' && (x - 8 - off) ** 2 + (y - 12) ** 2 < 12) v = 20;
      px[y * n + x] = v;
    }
  }
  return encodeGrayPng(n, n, px);
}

let influx: InfluxdServer;
let store: TelemetryStore;
let deps: CnnJobDeps;
let blobs: DiskBlobStore;

const job = (kind: JobRecord['kind'], model: string): JobRecord => ({
  id: `job-${model}-${Date.now()}`,
  kind,
  model,
  status: 'running',
  progress: 0,
  message: '',
  trigger: 'api',
  request: { from: T - 60_000, to: T + 3_600_000 },
  startedAt: Date.now(),
});
const progress = () => undefined;

async function storeEvidence(message: MessageInput<'evidence'>, bytes: Buffer): Promise<void> {
  const p = decodePublish(
    buildTopic({ ...addr, device: message.deviceId, channel: 'evidence' }),
    encode('evidence', message),
  );
  const blob = await blobs.put(bytes);
  await store.writeLines([evidenceLine(evidenceInputOf(p, blob))]);
}

beforeAll(async () => {
  influx = await startInfluxd();
  store = await TelemetryStore.connect({ url: influx.url, database: 'takt_cnn' });
  blobs = new DiskBlobStore({ dir: `${dir.path}/evidence` });
  const base = trainerServiceConfigSchema.parse({
    registryDir: dir.path,
    signingKey: { keyId: 'k', privateKeyFile: 'unused' },
    tokens: [{ token: 'reader-token-0123456789', role: 'reader' }],
    influx: { url: influx.url },
    mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' },
    training: {
      vision: { size: 16, epochs: 12, patience: 12, minPerClass: 3, holdout: 0.3, retrainAfterLabels: 3 },
      fault: { windowMs: 1_000, length: 32, epochs: 12, minPerClass: 5, valSplit: 0.25 },
    },
  });
  deps = {
    store,
    blobs,
    registry: new ModelRegistry({ dir: `${dir.path}/registry`, signingKey: key }),
    training: base.training,
    useSimulatorTruth: true,
    logger,
  };
  const r = rng(3);
  const classes = ['ok', 'scratch', 'pit'] as const;
  // cam-1's frames: simulator truth on all, an engineer's label on a few; uploads from a labelled set
  for (let i = 0; i < 72; i++) {
    const cls = classes[i % 3] as (typeof classes)[number];
    const frame = {
      frameId: `fr-${i}`,
      width: 24,
      height: 24,
      encoding: 'png' as const,
      data: part(cls, r).toString('base64'),
    };
    const uploaded = i >= 60;
    await storeEvidence(
      {
        ...sampleMessage('evidence', uploaded ? 'cam-2' : 'cam-1', i),
        ts: T + i * 1000,
        evidenceId: `ev-${i}`,
        reason: 'sample',
        frame,
        truth: cls,
        prediction: undefined,
        model: undefined,
      },
      Buffer.from(frame.data, 'base64'),
    );
  }
}, 120_000);

afterAll(async () => {
  await store?.close();
  await influx?.close();
  dir.remove();
});

describe('cnn-vision job', () => {
  it('trains from labelled frame evidence, registers a signed fp32 + int8 model, and names the stations that sent frames', async () => {
    const out = await runVisionJob(deps, job('cnn-vision', 'vision-e'), progress);
    expect(out.version, out.message).toBe(1);
    expect(out.trainedOn).toEqual(['cam-1', 'cam-2']);
    expect(out.labelSources).toEqual({ simulator: 72 });
    const gate = out.gate as ClassifierGateReport;
    expect(gate).toMatchObject({ basis: 'held-out', passed: true, reason: 'no current model' });
    expect(gate.testSamples).toBeGreaterThan(10);
    const m = await deps.registry.get('vision-e', 1);
    expect(m).toMatchObject({
      kind: 'cnn-vision',
      classes: ['ok', 'pit', 'scratch'],
      input: { shape: [null, 16, 16, 1] },
    });
    expect(m.variants?.['int8']).toBeDefined();
    expect(() => verifyManifest(m, { 'cnn-test': key.publicKeyPem })).not.toThrow();
    expect(m.metrics['val_accuracy']).toBeGreaterThan(0.8);
  }, 180_000);

  it('the next version is judged against the current one on the same held-out frames', async () => {
    const out = await runVisionJob(deps, job('cnn-vision', 'vision-e'), progress);
    const gate = out.gate as ClassifierGateReport;
    expect(gate.current?.version).toBe(1);
    expect(gate.reason).toMatch(/current v1: held-out accuracy .* on the same \d+ samples/);
    if (gate.passed) expect(out.version).toBe(2);
    else expect(out.version).toBeUndefined();
  }, 180_000);

  it('BAD INPUT - without simulator truth and without labels there is nothing to learn: a clear refusal', async () => {
    await expect(
      runVisionJob({ ...deps, useSimulatorTruth: false }, job('cnn-vision', 'vision-none'), progress),
    ).rejects.toMatchObject({ code: 'TOO_FEW_IMAGES', message: expect.stringMatching(/0 labelled frame\(s\) of 72/) });
  });
});

describe('cnn-fault job', () => {
  it('trains from raw windows an engineer labelled with a fault class and healthy samples; the fault part starts at the onset', async () => {
    const r = rng(9);
    const windowOf = (fault: boolean, t0: number) => {
      // 4 s of vibration at 200 Hz: healthy noise, or a strong 40 Hz tone from the onset (1 s in) on
      const values = Array.from(
        { length: 800 },
        (_, i) => 0.1 * (r() - 0.5) + (fault && i >= 200 ? Math.sin((2 * Math.PI * 40 * i) / 200) : 0),
      );
      return { t0, sensors: { vibration: { rate: 200, values } } };
    };
    for (let i = 0; i < 6; i++) {
      const t0 = T + 200_000 + i * 10_000;
      const anomaly = i % 2 === 0;
      const window = { ...windowOf(anomaly, t0), ...(anomaly ? { eventId: `evt-${i}`, onset: t0 + 1_000 } : {}) };
      await storeEvidence(
        {
          ...sampleMessage('evidence', 'pump-1', 100 + i),
          ts: t0 + 4_000,
          evidenceId: `w-${i}`,
          kind: 'window',
          reason: anomaly ? 'anomaly' : 'healthy',
          frame: undefined,
          window,
          prediction: undefined,
          model: undefined,
        },
        windowBlob(window),
      );
      if (anomaly) {
        const label = decodePublish(
          buildTopic({ ...addr, device: 'pump-1', channel: 'label' }),
          encode('label', {
            ...sampleMessage('label', 'pump-1', i),
            ts: t0 + 5_000,
            labelId: `l-${i}`,
            target: 'anomaly',
            refId: `evt-${i}`,
            label: 'bearing-wear',
            by: 'eve',
          }),
        );
        await store.write([label]);
      }
    }
    const out = await runFaultJob({ ...deps, useSimulatorTruth: false }, job('cnn-fault', 'fault-e'), progress);
    expect(out.version, out.message).toBe(1);
    expect(out.trainedOn).toEqual(['pump-1']);
    expect(Object.keys(out.labelSources ?? {}).sort()).toEqual(['engineer', 'healthy-sample']);
    const m = await deps.registry.get('fault-e', 1);
    expect(m).toMatchObject({
      kind: 'cnn-fault',
      classes: ['bearing-wear', 'ok'],
      input: { shape: [null, 32, 1], window: { lengthMs: 1_000, sensors: ['vibration'] } },
    });
    expect(m.metrics['val_accuracy']).toBeGreaterThan(0.8);
  }, 180_000);
});

describe('the scheduler trains CNNs from labels', () => {
  it('submits the first vision job once enough labelled frames exist, nothing more without new labels, and a retraining after retrainAfterLabels engineer labels', async () => {
    const jobs = new TrainingJobs({
      run: (j, p) => (j.kind === 'cnn-vision' ? runVisionJob(deps, j, p) : runFaultJob(deps, j, p)),
      onChange: () => undefined,
      logger,
    });
    const sched = new TrainingScheduler({
      jobs,
      registry: deps.registry,
      store,
      // without training.autoRollout the scheduler never rolls out: no device directory or rollout manager is reached
      directory: undefined as never,
      rollouts: undefined as never,
      approvals: new ApprovalQueue(),
      training: deps.training,
      evidence: { store, useSimulatorTruth: true },
      logger,
    });
    const now = T + 3_600_000;
    // 72 frames labelled by simulator truth ≥ minLabelled 60; six fault windows < 60
    expect(await sched.pollLabels(now)).toEqual(['cnn-vision']);
    expect(await sched.pollLabels(now)).toEqual([]); // queued or running: not twice
    await jobs.idle();
    const first = jobs.list().find((j) => j.model === 'plant-vision');
    expect(first).toMatchObject({ kind: 'cnn-vision', trigger: 'first', status: 'succeeded', version: 1 });
    expect(await sched.pollLabels(now)).toEqual([]); // truth labels the new frames, but only engineer labels retrain
    const labels = [0, 1, 2].map((i) =>
      decodePublish(
        buildTopic({ ...addr, device: 'cam-1', channel: 'label' }),
        encode('label', {
          ...sampleMessage('label', 'cam-1', 50 + i),
          ts: Date.now() + i,
          labelId: `relabel-${i}`,
          target: 'evidence',
          refId: `ev-${i}`,
          label: 'scratch',
          by: 'eve',
        }),
      ),
    );
    await store.write(labels);
    expect(await sched.pollLabels(Date.now() + 1_000)).toEqual(['cnn-vision']);
    await jobs.idle();
    expect(jobs.list()[0]).toMatchObject({ kind: 'cnn-vision', trigger: 'labels', status: 'succeeded' });
    await sched.stop();
  }, 180_000);
});
