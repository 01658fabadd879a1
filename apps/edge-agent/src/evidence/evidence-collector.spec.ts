import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decode,
  type CameraFrame,
  type Evidence,
  type Features,
  type ModelManifest,
  type RawSampleBatch,
} from '@takt/contracts';
import { sampleManifest } from '@takt/contracts/testing';
import { createLogger } from '@takt/runtime';
import { agentConfigSchema } from '../config.js';
import { DeviceModels } from '../device/device-models.js';
import { DevicePipeline } from '../device/device-pipeline.js';
import { LoadedModel } from '../inference/loaded-model.js';
import { loadOrt, type Ort } from '../inference/ort.js';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import { faultCnnModel, kmeansModel, visionCnnModel } from '../testing/onnx-models.js';
import { UpstreamEmitter } from '../upstream/emitter.js';
import { EvidenceCollector } from './evidence-collector.js';

const T0 = 1_767_225_600_000;
const address = { site: 'plant-a', line: 'line-1', device: 'dev-1' };

/** A seeded uniform [0, 1) (mulberry32): the same draws every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32×32 gray8 frame whose pixels depend on `i` (different frames, different confidences). */
function frame(i: number): CameraFrame {
  const px = Buffer.alloc(32 * 32);
  for (let k = 0; k < px.length; k++) px[k] = (k * (i % 13) + i * 7) % 256;
  return {
    schemaVersion: 1,
    deviceId: address.device,
    ts: T0 + i * 500,
    seq: i,
    frameId: `f-${i}`,
    width: 32,
    height: 32,
    encoding: 'gray8',
    data: px.toString('base64'),
    truth: i % 5 === 0 ? 'scratch' : 'ok',
  };
}

/** 100 ms of 1 kHz vibration (sine of `amplitude`) and 10 Hz temperature, starting at `t0`. */
function batch(t0: number, amplitude: number, seq = 0): RawSampleBatch {
  const vibration = Array.from({ length: 100 }, (_, i) => Math.round(amplitude * Math.sin((t0 + i) * 0.9) * 1e4) / 1e4);
  return {
    schemaVersion: 1,
    deviceId: address.device,
    ts: t0 + 100,
    seq,
    t0,
    sensors: {
      vibration: { rate: 1000, unit: 'g', values: vibration },
      temperature: { rate: 10, values: [40 + (t0 % 1000) / 1000] },
    },
  };
}

let ort: Ort;
const loaded: LoadedModel[] = [];
async function load(bytes: Uint8Array, manifest: ModelManifest): Promise<LoadedModel> {
  const m = await LoadedModel.load(ort, bytes, manifest, { providers: ['cpu'] });
  loaded.push(m);
  return m;
}
const visionManifest = sampleManifest({
  name: 'cam-vision',
  kind: 'cnn-vision',
  version: 2,
  input: { name: 'image', shape: [null, 32, 32, 1], dtype: 'float32' },
  outputs: [{ name: 'probs', shape: [null, 5] }],
  classes: ['ok', 'scratch', 'pit', 'crack', 'stain'],
});
const kmeansManifest = sampleManifest({
  name: 'dev-anomaly',
  input: { name: 'features', shape: [null, 1], dtype: 'float32', featureNames: ['vibration.rms'] },
  threshold: 3,
  smoothing: { alpha: 1, openAfterMs: 500, closeAfterMs: 2_000 },
});

/** A device pipeline on a memory outbox with the given models and `evidence` config; decodes what it queued. */
function rig(
  opts: {
    models?: LoadedModel[];
    evidence?: Record<string, unknown>;
    random?: () => number;
    window?: Record<string, unknown>;
    inference?: Record<string, unknown>;
  } = {},
) {
  const outbox = new MemoryOutbox({ maxBytes: 256 << 20 });
  const models = new DeviceModels();
  for (const m of opts.models ?? []) models.swap(m);
  const errors: Error[] = [];
  const config = agentConfigSchema.parse({
    dataDir: '/nonexistent-unused',
    source: { url: 'mqtt://127.0.0.1:1' },
    evidence: { budget: { bytesPerSecond: 1e9, burstBytes: 1 << 30 }, ...opts.evidence },
    ...(opts.window ? { window: opts.window } : {}),
    ...(opts.inference ? { inference: opts.inference } : {}),
  });
  const pipeline = new DevicePipeline({
    address,
    models,
    emitter: new UpstreamEmitter(outbox),
    config,
    logger: createLogger('evidence-test'),
    onError: (e) => errors.push(e),
    onModelFailure: () => undefined,
    evidence: { random: opts.random },
  });
  const messages = <C extends 'evidence' | 'inspection' | 'anomaly' | 'features'>(channel: C) =>
    outbox
      .pending(0, 1e6)
      .filter((e) => e.channel === channel)
      .map((e) => decode(channel, e.payload));
  /** feeds frames one at a time, each classified before the next (as frames arrive at 2 fps) */
  const frames = async (n: number) => {
    for (let i = 0; i < n; i++) {
      pipeline.onFrame(frame(i));
      await pipeline.idle();
      while (
        opts.models?.some((m) => m.manifest.kind === 'cnn-vision') &&
        messages('inspection').length < i + 1 &&
        errors.length === 0
      )
        await new Promise((r) => setImmediate(r));
    }
    await pipeline.idle();
  };
  return { pipeline, outbox, errors, messages, frames };
}

beforeAll(async () => {
  ort = await loadOrt();
});
afterAll(async () => {
  for (const m of loaded) await m.release();
});

describe('evidence from camera frames (real onnxruntime)', () => {
  it('keeps every frame the model is unsure of as `uncertain`, with its prediction, model, truth and the bytes as received', async () => {
    const r = rig({
      models: [await load(visionCnnModel({ height: 32, width: 32, classes: 5 }), visionManifest)],
      evidence: { frames: { uncertainBelow: 0, sampleRate: 0 } },
      random: seeded(1),
    });
    await r.frames(40);
    const confidences = r
      .messages('inspection')
      .map((m) => m.confidence)
      .sort((a, b) => a - b);
    expect(r.messages('evidence')).toEqual([]); // threshold 0, no sampling: nothing kept
    const threshold = confidences[20] as number; // the median: about half the frames are unsure
    const s = rig({
      models: [loaded[0] as LoadedModel],
      evidence: { frames: { uncertainBelow: threshold, sampleRate: 0 } },
      random: seeded(1),
    });
    await s.frames(40);
    const inspections = s.messages('inspection');
    const evidence = s.messages('evidence');
    expect(evidence.map((e) => e.frame?.frameId)).toEqual(
      inspections.filter((i) => i.confidence < threshold).map((i) => i.frameId),
    );
    expect(evidence.length).toBe(20);
    for (const e of evidence) {
      const f = frame(Number(e.frame?.frameId.slice(2)));
      const i = inspections.find((x) => x.frameId === f.frameId);
      expect(e).toMatchObject({
        kind: 'frame',
        reason: 'uncertain',
        ts: f.ts,
        model: { name: 'cam-vision', version: 2 },
        prediction: { label: i?.label, confidence: i?.confidence, scores: i?.scores },
        truth: f.truth,
      });
      expect(e.frame).toEqual({ frameId: f.frameId, width: 32, height: 32, encoding: 'gray8', data: f.data });
    }
    expect(s.pipeline.evidence?.counts()).toMatchObject({ queued: { uncertain: 20 }, rateLimited: {}, shed: {} });
    expect(s.pipeline.evidence?.counts().rateLimited).toEqual({});
  });

  it('samples confident frames at `sampleRate` (seeded: the same frames every run)', async () => {
    const run = async () => {
      const r = rig({
        models: [loaded[0] as LoadedModel],
        evidence: { frames: { uncertainBelow: 0, sampleRate: 0.25 } },
        random: seeded(42),
      });
      await r.frames(200);
      return r.messages('evidence');
    };
    const first = await run();
    const rng = seeded(42);
    const expected = Array.from({ length: 200 }, (_, i) => (rng() < 0.25 ? `f-${i}` : undefined)).filter(Boolean);
    expect(first.map((e) => e.frame?.frameId)).toEqual(expected);
    expect(first.length).toBeGreaterThan(30); // 50 expected of 200 at 0.25
    expect(first.length).toBeLessThan(70);
    expect(new Set(first.map((e) => e.reason))).toEqual(new Set(['sample']));
    expect((await run()).map((e) => e.frame?.frameId)).toEqual(expected);
  });

  it('without a vision model samples plant frames as `sample` with no prediction (to learn the first model from)', async () => {
    const r = rig({ evidence: { frames: { sampleRate: 0.5 } }, random: seeded(7) });
    await r.frames(60);
    const evidence = r.messages('evidence');
    expect(r.messages('inspection')).toEqual([]);
    expect(evidence.length).toBeGreaterThan(15);
    expect(evidence.length).toBeLessThan(45);
    for (const e of evidence) {
      expect(e.reason).toBe('sample');
      expect(e.prediction).toBeUndefined();
      expect(e.model).toBeUndefined();
    }
  });
});

describe('evidence from raw windows (real onnxruntime)', () => {
  /** calm, then an anomaly from `from` to `to` (s), then calm; 100 ms batches */
  async function feed(
    r: ReturnType<typeof rig>,
    seconds: number,
    anomaly: [number, number],
  ): Promise<Map<number, RawSampleBatch>> {
    const sent = new Map<number, RawSampleBatch>();
    for (let k = 0; k < seconds * 10; k++) {
      const b = batch(T0 + k * 100, k >= anomaly[0] * 10 && k < anomaly[1] * 10 ? 12 : 1, k);
      sent.set(b.t0, b);
      await r.pipeline.onRaw(b);
    }
    await r.pipeline.idle();
    return sent;
  }

  it('an anomaly event → ONE window around its onset (beforeMs before, afterMs after) with the eventId, the samples as sent', async () => {
    const r = rig({
      models: [await load(kmeansModel({ centroids: [[0]], center: [0], scale: [1] }), kmeansManifest)],
      evidence: { windows: { beforeMs: 2_000, afterMs: 1_000, healthyEveryMs: 0 } },
    });
    const sent = await feed(r, 20, [8, 14]);
    const [open, close] = r.messages('anomaly');
    expect(open?.state).toBe('open');
    expect(close?.state).toBe('close');
    const windows = r.messages('evidence');
    expect(windows).toHaveLength(1);
    const e = windows[0] as Evidence;
    const w = e.window!;
    expect(e).toMatchObject({ kind: 'window', reason: 'anomaly', ts: open!.openedAt });
    expect(w.eventId).toBe(open!.eventId);
    expect(w.onset).toBe(open!.openedAt);
    expect(w.t0).toBeLessThanOrEqual(open!.openedAt - 2_000);
    expect(w.t0).toBeGreaterThan(open!.openedAt - 2_100); // whole batches: at most one batch more
    const vib = w.sensors['vibration']!;
    const end = w.t0 + (vib.values.length * 1000) / vib.rate;
    expect(end).toBeGreaterThanOrEqual(open!.openedAt + 1_000);
    expect(w.sensors['temperature']!.values).toHaveLength(vib.values.length / 100);
    const expected = Array.from(
      { length: (end - w.t0) / 100 },
      (_, k) => sent.get(w.t0 + k * 100)!.sensors['vibration']!.values,
    ).flat();
    expect(vib).toEqual({ rate: 1000, unit: 'g', values: expected });
  });

  it('samples healthy windows every healthyEveryMs (± jitter) while no event is open, none during one', async () => {
    const r = rig({
      models: [loaded[loaded.length - 1] as LoadedModel],
      evidence: { windows: { beforeMs: 1_000, afterMs: 1_000, healthyEveryMs: 4_000, healthyJitter: 0.2 } },
      random: seeded(3),
    });
    await feed(r, 60, [20, 35]);
    const [open, close] = r.messages('anomaly');
    const evidence = r.messages('evidence');
    const healthy = evidence.filter((e) => e.reason === 'healthy');
    expect(evidence.filter((e) => e.reason === 'anomaly')).toHaveLength(1);
    expect(healthy.length).toBeGreaterThanOrEqual(8); // ~45 s without an event, one every 3.2–4.8 s
    expect(healthy.length).toBeLessThanOrEqual(14);
    for (const h of healthy) {
      expect(h.ts < open!.openedAt || h.ts > close!.closedAt!, `healthy window at ${h.ts - T0}`).toBe(true);
      expect(h.window!.sensors['vibration']!.values).toHaveLength(2_000);
      expect(h.window!.eventId).toBeUndefined();
    }
    const gaps = healthy.slice(1).map((h, i) => h.ts - healthy[i]!.ts);
    for (const g of gaps.filter((x) => x < 10_000)) expect(g).toBeGreaterThanOrEqual(3_200);
  });
});

describe('evidence collector events', () => {
  it('no healthy window while an event is open; a replaced anomaly model ends the event and they resume', async () => {
    const outbox = new MemoryOutbox({ maxBytes: 256 << 20 });
    const config = agentConfigSchema.parse({
      dataDir: '/x',
      source: { url: 'mqtt://127.0.0.1:1' },
      evidence: {
        windows: { beforeMs: 500, afterMs: 500, healthyEveryMs: 1_000 },
        budget: { bytesPerSecond: 1e9, burstBytes: 1 << 30 },
      },
    });
    const c = new EvidenceCollector({
      address,
      emitter: new UpstreamEmitter(outbox),
      config: config.evidence,
      logger: createLogger('t'),
      random: seeded(5),
      onError: (e) => {
        throw e;
      },
    });
    for (let k = 0; k < 200; k++) {
      if (k === 50) c.anomaly({ state: 'open', eventId: 'evt-x', openedAt: T0 + 5_000 });
      if (k === 120) c.eventsReset(); // the tracker that held it open is gone
      c.raw(batch(T0 + k * 100, 1, k));
      await new Promise((r) => setImmediate(r));
    }
    await c.idle();
    const evidence = outbox.pending(0, 1e6).map((e) => decode('evidence', e.payload));
    const healthy = evidence.filter((e) => e.reason === 'healthy').map((e) => e.ts - T0);
    expect(evidence.filter((e) => e.reason === 'anomaly').map((e) => e.window?.eventId)).toEqual(['evt-x']);
    expect(healthy.filter((t) => t < 5_000).length).toBeGreaterThanOrEqual(2);
    expect(healthy.filter((t) => t >= 5_000 && t <= 12_000)).toEqual([]);
    expect(healthy.filter((t) => t > 12_000).length).toBeGreaterThanOrEqual(4);
  });
});

describe('the evidence budget and fault predictions', () => {
  it('holds the per-device rate: an unsure frame flood passes at most burst + rate × time, the rest is counted as rate-limited', async () => {
    const outbox = new MemoryOutbox({ maxBytes: 256 << 20 });
    let now = 0;
    const config = agentConfigSchema.parse({
      dataDir: '/x',
      source: { url: 'mqtt://127.0.0.1:1' },
      evidence: { budget: { bytesPerSecond: 10_000, burstBytes: 30_000 } },
    });
    const c = new EvidenceCollector({
      address,
      emitter: new UpstreamEmitter(outbox),
      config: config.evidence,
      logger: createLogger('t'),
      now: () => now,
      onError: (e) => {
        throw e;
      },
    });
    const verdict = { label: 'ok', confidence: 0.3, model: { name: 'v', version: 1 } };
    for (let i = 0; i < 600; i++) {
      c.frame(frame(i), verdict); // 10 fps for 60 s
      now += 100;
      await new Promise((r) => setImmediate(r));
    }
    await c.idle();
    const counts = c.counts();
    expect(counts.queuedBytes).toBeLessThanOrEqual(30_000 + 10_000 * 60);
    expect(counts.queuedBytes).toBeGreaterThan(0.9 * (10_000 * 60));
    expect((counts.queued.uncertain ?? 0) + (counts.rateLimited.uncertain ?? 0)).toBe(600);
    expect(counts.rateLimited.uncertain).toBeGreaterThan(200); // frames of ~1.8 KB at 10 fps: ~18 KB/s asked, 10 KB/s allowed
  });

  it('a features message carries the fault CNN’s latest class, confidence and model', async () => {
    const fm = sampleManifest({
      name: 'dev-fault',
      kind: 'cnn-fault',
      version: 4,
      input: {
        name: 'window',
        shape: [null, 64, 2],
        dtype: 'float32',
        window: { lengthMs: 1000, hopMs: 1000, sensors: ['vibration', 'temperature'] },
      },
      outputs: [{ name: 'probs', shape: [null, 3] }],
      classes: ['normal', 'imbalance', 'bearing-wear'],
    });
    const r = rig({
      models: [await load(faultCnnModel({ length: 64, channels: 2, classes: 3 }), fm)],
      evidence: { enabled: false },
      window: { lengthMs: 1000, hopMs: 500 },
    });
    for (let k = 0; k < 50; k++) await r.pipeline.onRaw(batch(T0 + k * 100, 1, k));
    const features = r.messages('features') as Features[];
    expect(features.length).toBeGreaterThanOrEqual(8);
    const withFault = features.filter((f) => f.fault);
    expect(withFault.length).toBeGreaterThanOrEqual(3); // one per fault window (1 s hop), on the next features message
    expect(withFault.length).toBeLessThan(features.length);
    for (const f of withFault) {
      expect(fm.classes).toContain(f.fault!.label);
      expect(f.fault!.confidence).toBeGreaterThan(1 / 3 - 1e-9);
      expect(f.fault!.model).toEqual({ name: 'dev-fault', version: 4 });
    }
    expect(r.messages('evidence')).toEqual([]); // evidence.enabled false
  });
});

describe('inspection thumbnails', () => {
  it('by default a frame not plainly a good part carries a small grayscale PNG; `all` gives every frame one, `none` none', async () => {
    const vision = await load(visionCnnModel({ height: 32, width: 32, classes: 5 }), visionManifest);
    const defects = rig({ models: [vision] });
    await defects.frames(20);
    const inspections = defects.messages('inspection');
    expect(inspections).toHaveLength(20);
    for (const i of inspections) {
      const plainlyGood = i.label === 'ok' && i.confidence >= 0.7;
      expect(i.thumbnail !== undefined, `${i.frameId}: ${i.label} ${i.confidence.toFixed(2)}`).toBe(!plainlyGood);
      if (!i.thumbnail) continue;
      const png = Buffer.from(i.thumbnail, 'base64');
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBeLessThanOrEqual(32); // width: the 32 px frame is not scaled up
      expect(png[25]).toBe(0); // colour type 0: grayscale
    }
    const all = rig({ models: [vision], inference: { thumbnails: 'all', thumbnailPx: 16 } });
    await all.frames(4);
    expect(all.messages('inspection').map((i) => Buffer.from(i.thumbnail ?? '', 'base64').readUInt32BE(16))).toEqual([
      16, 16, 16, 16,
    ]);
    const none = rig({ models: [vision], inference: { thumbnails: 'none' } });
    await none.frames(4);
    expect(none.messages('inspection').every((i) => i.thumbnail === undefined)).toBe(true);
  });
});
