import type { ModelKind, ModelManifest, WindowSpec } from '@takt/contracts';
import type { FeatureWindow } from '@takt/features';
import type { RecordedInputs } from '../device/device-models.js';
import { EdgeError } from '../errors.js';
import { classifyWindows, faultInput, faultInputSpec, type Classification } from './fault-cnn.js';
import { featureVector, modelFeatureNames, scoreBatch, type Score } from './kmeans.js';
import type { LoadedModel } from './loaded-model.js';
import { imageToInput, inspectFrames, visionInputSize, type GrayImage } from './vision.js';

/**
 * What one model kind needs at the edge. Adding a kind to `MODEL_KINDS` (contracts) makes `KindIO`
 * and `MODEL_KIND_RUNNERS` below incomplete, so the compiler names every place a new kind must fill in.
 */
export interface KindRunner<In, Out> {
  /** the raw-sample window the model is fed from (the manifest's `input.window`), or undefined for frame models */
  window(m: ModelManifest): WindowSpec | undefined;
  /**
   * One input of batch 1 for the smoke test: the device's recorded input when there is one, else a
   * neutral one. Throws `EdgeError` (UNSUPPORTED_MODEL for a manifest whose input the kind cannot
   * build, SMOKE_TEST_FAILED for a model that wants what the device does not produce).
   */
  smokeInput(m: ModelManifest, recorded: RecordedInputs): { data: Float32Array; dims: number[] };
  /** Runs a batch and decodes the outputs: one result per input, in order. Throws on a run or output failure. */
  run(model: LoadedModel, inputs: readonly In[]): Promise<Out[]>;
}

/** Per kind, what the pipeline hands a run (one item per window or frame) and what it gets back for each. */
export interface KindIO extends Record<ModelKind, { input: unknown; result: unknown }> {
  /** a window's features → its score, undefined where the window lacks a feature the model takes */
  'kmeans-anomaly': { input: Record<string, number>; result: Score | undefined };
  /** a raw window → its fault class, undefined where the window lacks a sensor the model takes */
  'cnn-fault': { input: FeatureWindow; result: Classification | undefined };
  /** a decoded frame → its inspection class */
  'cnn-vision': { input: GrayImage; result: Classification };
}

export type KindRunners = { readonly [K in ModelKind]: KindRunner<KindIO[K]['input'], KindIO[K]['result']> };

const kmeans: KindRunners['kmeans-anomaly'] = {
  window: (m) => m.input.window,
  smokeInput(m, recorded) {
    const names = modelFeatureNames(m);
    if (!recorded.features) return { data: new Float32Array(names.length), dims: [1, names.length] };
    const { vector, missing } = featureVector(recorded.features, names);
    if (missing.length > 0)
      throw new EdgeError(
        'SMOKE_TEST_FAILED',
        `model ${m.name} v${m.version} wants features this device does not produce: ${missing.slice(0, 5).join(', ')}`,
      );
    return { data: vector, dims: [1, names.length] };
  },
  async run(model, features) {
    const names = modelFeatureNames(model.manifest);
    const vectors = features.map((f) => featureVector(f, names));
    const complete = vectors.filter((v) => v.missing.length === 0).map((v) => v.vector);
    if (complete.length === 0) return vectors.map(() => undefined);
    const scores = await scoreBatch(model, complete);
    let j = 0;
    return vectors.map((v) => (v.missing.length === 0 ? scores[j++] : undefined));
  },
};

const fault: KindRunners['cnn-fault'] = {
  window: (m) => m.input.window,
  smokeInput(m, recorded) {
    const spec = faultInputSpec(m);
    const data =
      (recorded.window && faultInput(recorded.window, spec)) ?? new Float32Array(spec.length * spec.sensors.length);
    return { data, dims: [1, spec.length, spec.sensors.length] };
  },
  async run(model, windows) {
    const spec = faultInputSpec(model.manifest);
    const inputs = windows.map((w) => faultInput(w, spec));
    const complete = inputs.filter((x): x is Float32Array => x !== undefined);
    if (complete.length === 0) return inputs.map(() => undefined);
    const results = await classifyWindows(model, complete, spec);
    let j = 0;
    return inputs.map((x) => (x ? results[j++] : undefined));
  },
};

const vision: KindRunners['cnn-vision'] = {
  window: () => undefined,
  smokeInput(m, recorded) {
    const { height, width } = visionInputSize(m);
    const data = new Float32Array(height * width).fill(0.5);
    if (recorded.frame) imageToInput(recorded.frame, height, width, data);
    return { data, dims: [1, height, width, 1] };
  },
  async run(model, images) {
    return (await inspectFrames(model, [...images])).results;
  },
};

/** The edge's model kinds: the one place that says how each is windowed, smoke-tested, run and decoded. */
export const MODEL_KIND_RUNNERS: KindRunners = { 'kmeans-anomaly': kmeans, 'cnn-fault': fault, 'cnn-vision': vision };

/** The runner of a manifest's kind; throws `EdgeError('UNSUPPORTED_MODEL')` for a kind this agent does not know. */
export function kindRunner(m: ModelManifest): KindRunner<never, unknown> {
  if (!Object.hasOwn(MODEL_KIND_RUNNERS, m.kind))
    throw new EdgeError(
      'UNSUPPORTED_MODEL',
      `model ${m.name} v${m.version} is of kind ${JSON.stringify(m.kind)}, which this agent does not run`,
    );
  return MODEL_KIND_RUNNERS[m.kind];
}
