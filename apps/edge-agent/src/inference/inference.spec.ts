import { describe, expect, it } from 'vitest';
import { sampleManifest } from '@takt/contracts/testing';
import { createLogger } from '@takt/runtime';
import { faultCnnModel, kmeansModel, visionCnnModel } from '../testing/onnx-models.js';
import { classifyWindows } from './fault-cnn.js';
import { featureVector, scoreBatch } from './kmeans.js';
import { LoadedModel } from './loaded-model.js';
import { createSession, loadOrt } from './ort.js';
import { probeProvider } from './provider-probe.js';
import { decodeFrame, imageToInput, inspectFrames } from './vision.js';

const logger = createLogger('test');
const kmManifest = sampleManifest({
  input: { name: 'features', shape: [null, 2], dtype: 'float32', featureNames: ['a', 'b'] },
});

describe('inference', () => {
  it('scores K-means windows: distance of the scaled vector to the nearest centroid, and its cluster', async () => {
    const ort = await loadOrt();
    const bytes = kmeansModel({
      centroids: [
        [0, 0],
        [3, 4],
      ],
      center: [1, 1],
      scale: [2, 2],
    });
    const model = await LoadedModel.load(ort, bytes, kmManifest, { providers: ['cpu'] });
    const vectors = [
      featureVector({ a: 7, b: 9 }, ['a', 'b']).vector,
      featureVector({ a: 1, b: 1, c: 5 }, ['a', 'b']).vector,
    ];
    const scores = await scoreBatch(model, vectors);
    expect(scores[0].cluster).toBe(1); // scaled (3, 4): on centroid 1
    expect(scores[0].score).toBeCloseTo(0, 6);
    expect(scores[1]).toEqual({ score: 0, cluster: 0 });
    expect(featureVector({ a: 1 }, ['a', 'b']).missing).toEqual(['b']);
    await model.release();
  });

  it('asking for cuda on a box without it falls back to cpu and says why', async () => {
    const ort = await loadOrt();
    const created = await createSession(ort, kmeansModel({ centroids: [[0]], center: [0], scale: [1] }), {
      providers: ['tensorrt', 'cuda', 'cpu'],
      logger,
    });
    expect(created.provider).toBe('cpu');
    expect(created.fallbacks.map((f) => f.provider)).toEqual(['tensorrt', 'cuda']);
    expect(created.fallbacks[1].reason).toMatch(/cuda/i);
    await created.session.release();
    expect((await probeProvider(ort, ['cuda', 'cpu'], logger)).provider).toBe('cpu');
  });

  it('BAD CALL - only unavailable providers: NO_PROVIDER naming each', async () => {
    const ort = await loadOrt();
    await expect(
      createSession(ort, kmeansModel({ centroids: [[0]], center: [0], scale: [1] }), { providers: ['cuda'] }),
    ).rejects.toMatchObject({ code: 'NO_PROVIDER', message: expect.stringMatching(/cuda:/) });
  });

  it('BAD CALL - an onnxruntime path that does not exist: ORT_IMPORT_FAILED', async () => {
    await expect(loadOrt('/nonexistent/onnxruntime-node')).rejects.toMatchObject({ code: 'ORT_IMPORT_FAILED' });
  });

  it('refuses at load a model whose input shape disagrees with its manifest', async () => {
    const ort = await loadOrt();
    const bytes = kmeansModel({ centroids: [[0, 0, 0]], center: [0, 0, 0], scale: [1, 1, 1] });
    await expect(LoadedModel.load(ort, bytes, kmManifest, { providers: ['cpu'] })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringMatching(/shape/),
    });
  });

  it('classifies raw windows (1-D CNN) and a batch of camera frames (2-D CNN) into manifest classes', async () => {
    const ort = await loadOrt();
    const fm = sampleManifest({
      kind: 'cnn-fault',
      input: {
        name: 'window',
        shape: [null, 64, 2],
        dtype: 'float32',
        window: { lengthMs: 500, hopMs: 500, sensors: ['vibration', 'current'] },
      },
      outputs: [{ name: 'probs', shape: [null, 3] }],
      classes: ['ok', 'imbalance', 'bearing-wear'],
    });
    const fault = await LoadedModel.load(ort, faultCnnModel({ length: 64, channels: 2, classes: 3 }), fm, {
      providers: ['cpu'],
    });
    const res = await classifyWindows(fault, [new Float32Array(128).fill(0.2), new Float32Array(128).fill(-1)], {
      length: 64,
      sensors: ['vibration', 'current'],
    });
    expect(res).toHaveLength(2);
    expect(fm.classes).toContain(res[0].label);
    expect(Object.values(res[0].scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const vm = sampleManifest({
      kind: 'cnn-vision',
      input: { name: 'image', shape: [null, 32, 32, 1], dtype: 'float32' },
      outputs: [{ name: 'probs', shape: [null, 5] }],
      classes: ['ok', 'scratch', 'pit', 'crack', 'stain'],
    });
    const vision = await LoadedModel.load(ort, visionCnnModel({ height: 32, width: 32, classes: 5 }), vm, {
      providers: ['cpu'],
    });
    const frame = (fill: number) =>
      decodeFrame({
        schemaVersion: 1,
        deviceId: 'cam-1',
        ts: 1_767_225_600_000,
        seq: 0,
        frameId: 'f',
        width: 40,
        height: 40,
        encoding: 'gray8',
        data: Buffer.alloc(1600, fill).toString('base64'),
      });
    const { results } = await inspectFrames(vision, [frame(0), frame(128), frame(255)]);
    expect(results).toHaveLength(3);
    for (const r of results) expect(r.confidence).toBeGreaterThan(0.2);
    await fault.release();
    await vision.release();
  });

  it('HOSTILE - a PNG frame whose header declares another size than the frame (a decompression bomb) is refused before decoding', () => {
    const bomb = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bomb, 0);
    bomb.writeUInt32BE(13, 8);
    bomb.write('IHDR', 12, 'latin1');
    bomb.writeUInt32BE(60_000, 16);
    bomb.writeUInt32BE(60_000, 20);
    const frame = {
      schemaVersion: 1 as const,
      deviceId: 'cam-1',
      ts: 1_767_225_600_000,
      seq: 0,
      frameId: 'f',
      width: 96,
      height: 96,
      encoding: 'png' as const,
    };
    expect(() => decodeFrame({ ...frame, data: bomb.toString('base64') })).toThrow(
      expect.objectContaining({ code: 'BAD_FRAME', message: expect.stringContaining('declares 60000×60000') }),
    );
  });

  it('resizes a camera frame by area averaging, as the trainer did: a 1-pixel crack nearest-neighbour would step over still reaches the model', () => {
    const pixels = new Uint8Array(128 * 128);
    for (let y = 0; y < 128; y++) pixels[y * 128 + 49] = 255; // column 49: nearest neighbour to 32 px samples 2, 6, … 46, 50
    const out = new Float32Array(32 * 32);
    imageToInput({ width: 128, height: 128, pixels }, 32, 32, out);
    expect(out[12]).toBeCloseTo(0.25, 6); // column 12 averages source columns 48..51
    expect(Array.from(out.subarray(0, 32)).filter((v) => v > 0)).toHaveLength(1);
  });
});
