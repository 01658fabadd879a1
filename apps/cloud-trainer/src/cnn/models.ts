import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../tf-backend.js';

/** Seeded Glorot initialiser, so a seed gives the same network. */
const init = (tf: Tf, seed: number) => tf.initializers.glorotUniform({ seed });

/**
 * Small 2-D CNN for size×size grayscale frames (NHWC, [N, size, size, 1]): three conv(3×3, ReLU) +
 * max-pool(2) stages of 8, 16 and 32 filters, a 32-unit dense layer, dropout 0.25, softmax.
 * About 20k weights at 32×32: trains in seconds per epoch on the tfjs CPU backend.
 */
export function visionCnn(tf: Tf, size: number, classes: number, seed = 1): tfjs.LayersModel {
  const m = tf.sequential();
  let s = seed;
  m.add(tf.layers.conv2d({ inputShape: [size, size, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.dropout({ rate: 0.25, seed: s++ }));
  m.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(tf, s++) }));
  return m;
}

/**
 * Small 1-D CNN for raw multichannel windows ([N, steps, channels]): conv1d(7, 16) + pool(4),
 * conv1d(5, 32) + pool(4), dense 32, dropout 0.25, softmax.
 */
export function faultCnn(tf: Tf, steps: number, channels: number, classes: number, seed = 1): tfjs.LayersModel {
  const m = tf.sequential();
  let s = seed;
  m.add(tf.layers.conv1d({ inputShape: [steps, channels], filters: 16, kernelSize: 7, padding: 'same', activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.maxPooling1d({ poolSize: 4 }));
  m.add(tf.layers.conv1d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.maxPooling1d({ poolSize: 4 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.dropout({ rate: 0.25, seed: s++ }));
  m.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(tf, s++) }));
  return m;
}
