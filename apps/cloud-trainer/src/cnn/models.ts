import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../tf-backend.js';

/** Seeded Glorot initialiser, so a seed gives the same network. */
const init = (tf: Tf, seed: number) => tf.initializers.glorotUniform({ seed });

/**
 * Small 2-D CNN for size×size grayscale frames (NHWC, [N, size, size, 1]): conv 3×3 (valid, so
 * the input normalisation can be folded into it exactly) and two more conv 3×3 (same), each with
 * ReLU and 2×2 max-pooling, 8/16/32 filters; then global max-pooling — "is there a defect
 * anywhere" — and softmax. About 6k weights: seconds per epoch on the tfjs CPU backend at 32×32.
 */
export function visionCnn(tf: Tf, size: number, classes: number, seed = 1): tfjs.LayersModel {
  const m = tf.sequential();
  let s = seed;
  [8, 16, 32].forEach((filters, i) => {
    m.add(tf.layers.conv2d({ ...(i === 0 ? { inputShape: [size, size, 1] } : {}), filters, kernelSize: 3, padding: i === 0 ? 'valid' : 'same', activation: 'relu', kernelInitializer: init(tf, s++) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  m.add(tf.layers.globalMaxPooling2d({}));
  m.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(tf, s++) }));
  return m;
}

/**
 * Small 1-D CNN for raw multichannel windows ([N, steps, channels]): conv1d 7 (valid, folds the
 * input normalisation) + pool 4, conv1d 5 + pool 4, global max-pooling, dense 32, softmax.
 */
export function faultCnn(tf: Tf, steps: number, channels: number, classes: number, seed = 1): tfjs.LayersModel {
  const m = tf.sequential();
  let s = seed;
  m.add(tf.layers.conv1d({ inputShape: [steps, channels], filters: 16, kernelSize: 7, padding: 'valid', activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.maxPooling1d({ poolSize: 4 }));
  m.add(tf.layers.conv1d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.maxPooling1d({ poolSize: 4 }));
  m.add(tf.layers.globalMaxPooling1d({}));
  m.add(tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(tf, s++) }));
  return m;
}
