import type * as tfjs from '@tensorflow/tfjs';
import { TrainerError } from '../errors.js';
import type { Tf } from '../tf-backend.js';

/** Per-channel input normalisation (x − mean) / std, trained with and then folded into the model. */
export interface InputNormalization {
  mean: number[];
  std: number[];
}

/** Per-channel mean and std of channels-last samples (std floored at 1e-6). */
export function channelStats(x: Float32Array, channels: number): InputNormalization {
  const n = x.length / channels;
  const mean = new Array<number>(channels).fill(0);
  const sq = new Array<number>(channels).fill(0);
  for (let i = 0; i < x.length; i++) mean[i % channels] = (mean[i % channels] as number) + (x[i] as number) / n;
  for (let i = 0; i < x.length; i++)
    sq[i % channels] = (sq[i % channels] as number) + ((x[i] as number) - (mean[i % channels] as number)) ** 2 / n;
  return { mean, std: sq.map((v) => Math.max(1e-6, Math.sqrt(v))) };
}

/** Applies the normalisation to channels-last samples, into a new array. */
export function normalize(x: Float32Array, norm: InputNormalization): Float32Array {
  const c = norm.mean.length;
  const out = new Float32Array(x.length);
  for (let k = 0; k < c; k++) {
    const mean = norm.mean[k] as number;
    const inv = 1 / (norm.std[k] as number);
    for (let i = k; i < x.length; i += c) out[i] = ((x[i] as number) - mean) * inv;
  }
  return out;
}

/**
 * Folds the input normalisation into the first convolution (which must use `valid` padding, so
 * no zero padding sees normalised values): W' = W / σ_c, b' = b − Σ W·μ_c/σ_c. The model then takes
 * raw inputs — what the edge feeds it — and computes exactly what it computed on normalised ones.
 */
export function foldNormalization(tf: Tf, model: tfjs.LayersModel, norm: InputNormalization): void {
  const first = model.layers.find((l) => l.getClassName() === 'Conv1D' || l.getClassName() === 'Conv2D');
  const cfg = first?.getConfig() as { padding?: string; useBias?: boolean } | undefined;
  if (!first || first !== model.layers[0] || cfg?.padding !== 'valid' || cfg.useBias === false) {
    throw new TrainerError(
      'BAD_MODEL',
      'input normalisation folds only into a first Conv layer with valid padding and a bias',
    );
  }
  const [kernel, bias] = first.getWeights() as [tfjs.Tensor, tfjs.Tensor];
  const cin = kernel.shape[kernel.shape.length - 2] as number;
  if (cin !== norm.mean.length)
    throw new TrainerError('BAD_MODEL', `normalisation has ${norm.mean.length} channels, the first conv takes ${cin}`);
  const [k2, b2] = tf.tidy(() => {
    const shape = kernel.shape.map((_, i) => (i === kernel.shape.length - 2 ? cin : 1));
    const inv = tf.tensor(
      norm.std.map((s) => 1 / s),
      shape,
    );
    const mu = tf.tensor(norm.mean, shape);
    const k = kernel.mul(inv);
    const axes = kernel.shape.slice(0, -1).map((_, i) => i);
    return [k, bias.sub(k.mul(mu).sum(axes))];
  });
  first.setWeights([k2, b2]);
  tf.dispose([k2, b2]);
}
