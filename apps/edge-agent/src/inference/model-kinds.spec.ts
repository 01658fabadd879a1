import { describe, expect, it } from 'vitest';
import { MODEL_KINDS, type ModelManifest } from '@takt/contracts';
import { sampleManifest } from '@takt/contracts/testing';
import type { FeatureWindow } from '@takt/features';
import { smokeInput } from '../rollout/smoke-test.js';
import { faultCnnModel, kmeansModel } from '../testing/onnx-models.js';
import { LoadedModel } from './loaded-model.js';
import { kindRunner, MODEL_KIND_RUNNERS } from './model-kinds.js';
import { loadOrt } from './ort.js';

const km = sampleManifest({
  input: { name: 'features', shape: [null, 2], dtype: 'float32', featureNames: ['a', 'b'] },
});
const fm = sampleManifest({
  kind: 'cnn-fault',
  input: {
    name: 'window',
    shape: [null, 16, 2],
    dtype: 'float32',
    window: { lengthMs: 500, hopMs: 500, sensors: ['vibration', 'current'] },
  },
  outputs: [{ name: 'probs', shape: [null, 3] }],
  classes: ['ok', 'imbalance', 'bearing-wear'],
});
const vm = sampleManifest({
  kind: 'cnn-vision',
  input: { name: 'image', shape: [null, 8, 6, 1], dtype: 'float32' },
  outputs: [{ name: 'probs', shape: [null, 2] }],
  classes: ['ok', 'scratch'],
});
const win = (sensors: string[]): FeatureWindow => ({
  deviceId: 'motor-1',
  start: 0,
  end: 500,
  sensors: Object.fromEntries(
    sensors.map((s) => [s, { rate: 32, values: Float64Array.from({ length: 16 }, (_, i) => i / 16) }]),
  ),
});

describe('model kinds', () => {
  it('has a runner for every kind the contracts know', () => {
    expect(Object.keys(MODEL_KIND_RUNNERS).sort()).toEqual([...MODEL_KINDS].sort());
  });

  it('builds each kind its own smoke input: neutral without a recording, the recording when there is one', () => {
    expect(smokeInput(km, {}).dims).toEqual([1, 2]);
    expect([...smokeInput(km, { features: { a: 1, b: 2, c: 3 } }).data]).toEqual([1, 2]);
    expect(smokeInput(fm, {}).dims).toEqual([1, 16, 2]);
    expect(smokeInput(fm, { window: win(['vibration', 'current']) }).data.some((v) => v !== 0)).toBe(true);
    const v = smokeInput(vm, {});
    expect(v.dims).toEqual([1, 8, 6, 1]);
    expect(v.data.every((x) => x === 0.5)).toBe(true);
  });

  it('BAD INPUT - a recording without a feature the K-means model takes → SMOKE_TEST_FAILED; a fault model without window sensors → UNSUPPORTED_MODEL', () => {
    expect(() => smokeInput(km, { features: { a: 1 } })).toThrow(
      expect.objectContaining({ code: 'SMOKE_TEST_FAILED' }),
    );
    const noSensors = { ...fm, input: { ...fm.input, window: undefined } } as ModelManifest;
    expect(() => smokeInput(noSensors, {})).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MODEL' }));
  });

  it('BAD INPUT - a kind this agent does not know is refused, not run as a vision model', () => {
    const odd = { ...vm, kind: 'gnn-graph' } as unknown as ModelManifest;
    expect(() => kindRunner(odd)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_MODEL', message: expect.stringMatching(/gnn-graph/) }),
    );
    expect(() => smokeInput(odd, {})).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MODEL' }));
    expect(() => kindRunner({ ...vm, kind: 'toString' } as unknown as ModelManifest)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_MODEL' }),
    );
  });

  it('runs a batch with one result per input, undefined where an input lacks what the model takes', async () => {
    const ort = await loadOrt();
    const kmeans = await LoadedModel.load(
      ort,
      kmeansModel({
        centroids: [
          [0, 0],
          [3, 4],
        ],
        center: [0, 0],
        scale: [1, 1],
      }),
      km,
      { providers: ['cpu'] },
    );
    const scores = await MODEL_KIND_RUNNERS['kmeans-anomaly'].run(kmeans, [{ a: 3, b: 4 }, { a: 1 }, { a: 0, b: 0 }]);
    expect(scores).toHaveLength(3);
    expect(scores[0]).toMatchObject({ cluster: 1 });
    expect(scores[0]?.score).toBeCloseTo(0, 5);
    expect(scores[1]).toBeUndefined();
    expect(scores[2]).toMatchObject({ cluster: 0 });
    expect(await MODEL_KIND_RUNNERS['kmeans-anomaly'].run(kmeans, [{ a: 1 }])).toEqual([undefined]);
    const fault = await LoadedModel.load(ort, faultCnnModel({ length: 16, channels: 2, classes: 3 }), fm, {
      providers: ['cpu'],
    });
    const classes = await MODEL_KIND_RUNNERS['cnn-fault'].run(fault, [
      win(['vibration']),
      win(['vibration', 'current']),
    ]);
    expect(classes[0]).toBeUndefined();
    expect(fm.classes).toContain(classes[1]?.label);
    await kmeans.release();
    await fault.release();
  });
});
