import * as tf from '@tensorflow/tfjs';
import { tfjsToOnnx } from '../tfjs/export.js';
import { maxAbsDiff, ort, runOnnx, seededNormal, seededRandom } from './helpers.js';

/** tfjs on its pure-JS CPU backend (tfjs-node cannot be installed here). */
export async function useCpuBackend(): Promise<typeof tf> {
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

/** Gives every BatchNormalization non-trivial statistics so folding is really exercised. */
export function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  const u = seededRandom(seed);
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    layer.setWeights(
      layer.getWeights().map((w, i) => {
        const n = w.size;
        // weights order here: gamma, beta, moving mean, moving variance (positive)
        const values = Float32Array.from({ length: n }, () => (i === 0 || i === 3 ? 0.5 + u() : (u() - 0.5) * 0.6));
        return tf.tensor(values, w.shape);
      }),
    );
  }
}

/** Exports the model, runs tfjs and onnxruntime on the same random input; returns the max abs difference. */
export async function parityDiff(model: tf.LayersModel, opts: { batch?: number; seed?: number } = {}): Promise<number> {
  const shape = [opts.batch ?? 3, ...(model.inputs[0]?.shape.slice(1) as number[])];
  const r = seededNormal(opts.seed ?? 1);
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r);
  const expected = tf.tidy(() => (model.predict(tf.tensor(data, shape)) as tf.Tensor).dataSync().slice());
  const out = await runOnnx(tfjsToOnnx(model), { input: new ort.Tensor('float32', data, shape) });
  const actual = out['output'];
  const tfShape = (model.outputs[0]?.shape ?? []).slice(1);
  if (!actual || actual.dims.slice(1).join() !== tfShape.join())
    throw new Error(`output shape ${actual?.dims.join()} vs tf ${tfShape.join()}`);
  return maxAbsDiff(actual.data as Float32Array, expected);
}
