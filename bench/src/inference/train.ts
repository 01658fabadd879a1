import * as tf from '@tensorflow/tfjs';
import { CLASSES } from './dataset.js';

/**
 * The vision CNN the bench measures: 64×64 gray → 5 classes. The first conv (one input channel,
 * 5×5, stride 2) is where int8 kernels lose (dot products of length 25), so `quantizeInt8` keeps
 * it fp32 by default; the rest is 3×3 convs with 32–64 channels (strided, to keep tfjs CPU training
 * affordable) and two Dense layers.
 */
export function visionCnn(size: number): tf.Sequential {
  const L = tf.layers;
  const init = (seed: number) => tf.initializers.heNormal({ seed });
  return tf.sequential({
    layers: [
      L.inputLayer({ inputShape: [size, size, 1] }),
      L.conv2d({ filters: 16, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
      L.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(2) }),
      L.batchNormalization(),
      L.reLU(),
      L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(3) }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(4) }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dropout({ rate: 0.2 }),
      L.dense({ units: 64, activation: 'relu', kernelInitializer: init(5) }),
      L.dense({ units: CLASSES.length, activation: 'softmax', kernelInitializer: init(6) }),
    ],
  });
}

/** Trains on tfjs's CPU backend; returns seconds spent. */
export async function train(model: tf.Sequential, data: { x: Float32Array; y: Int32Array }, size: number, epochs: number): Promise<number> {
  const t0 = performance.now();
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const n = data.y.length;
  const xs = tf.tensor4d(data.x, [n, size, size, 1]);
  const ys = tf.tensor1d(data.y, 'float32');
  try {
    await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: true, verbose: 0 });
  } finally {
    tf.dispose([xs, ys]);
  }
  return (performance.now() - t0) / 1000;
}
