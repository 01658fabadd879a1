import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../tf-backend.js';

/** Seeded Glorot initialiser, so a seed gives the same network. */
const init = (tf: Tf, seed: number) => tf.initializers.glorotUniform({ seed });

const STEM_FILTERS = 16;

/**
 * Stride of the stem: the largest of 1, 2, 4 that leaves at least 32 px after it (32 px → 1,
 * 64 px → 2, ≥ 128 px → 4). Its kernel is as large as the stride (a patch embedding: every pixel
 * seen once), 3×3 at stride 1.
 */
export function visionStem(size: number): { stride: number; kernel: number } {
  const stride = Math.max(1, Math.min(4, 2 ** Math.floor(Math.log2(size / 32))));
  return { stride, kernel: stride === 1 ? 3 : stride };
}

/** Filters of each conv + pool stage after the stem, for a size×size input. */
export function visionStages(size: number): number[] {
  // halve from the stem's output down to ~8 px: the last feature map still has a few positions to pool over
  const stages = Math.min(5, Math.max(1, Math.round(Math.log2(size / visionStem(size).stride / 8))));
  return Array.from({ length: stages }, (_, i) => Math.min(128, 32 * 2 ** i));
}

/**
 * 2-D CNN for size×size grayscale frames (NHWC, [N, size, size, 1]) that grows with the size:
 * - stem (`visionStem`): from 128 px on, conv 4×4 stride 4 (valid — the input normalisation folds
 *   into it exactly), 16 filters: a linear map of every 4×4 patch that keeps its detail in channels
 *   (a thin crack is still there) while the full-resolution work — the costliest part of training
 *   and the part int8 cannot speed up (a 1-channel conv has dot products too short) — shrinks 16×;
 *   stride 2 at 64–127 px, a 3×3 conv at stride 1 below, so small frames keep their detail;
 * - one stage per halving after the stem down to ~8 px (`visionStages`: 32 px → 2, 128 px → 2, 224 px → 3),
 *   32, 64, 128 filters, each conv 3×3 → batch norm → ReLU → 2×2 max-pool;
 * - one more conv at twice the width (≤ 128), global max-pooling ("is there a defect anywhere":
 *   a small defect is not averaged away; global average pooling lost 15 points on simulator frames
 *   and learned slower on real tiles), softmax.
 * Every batch norm folds into its conv at export.
 */
export function visionCnn(tf: Tf, size: number, classes: number, seed = 1): tfjs.LayersModel {
  const m = tf.sequential();
  let s = seed;
  const block = (layer: tfjs.layers.Layer) => {
    m.add(layer);
    m.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    m.add(tf.layers.activation({ activation: 'relu' }));
  };
  const stem = visionStem(size);
  block(
    tf.layers.conv2d({
      inputShape: [size, size, 1],
      filters: STEM_FILTERS,
      kernelSize: stem.kernel,
      strides: stem.stride,
      padding: 'valid',
      kernelInitializer: init(tf, s++),
    }),
  );
  const widths = visionStages(size);
  const conv = (filters: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: init(tf, s++) });
  for (const filters of widths) {
    block(conv(filters));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  }
  block(conv(Math.min(128, 2 * (widths[widths.length - 1] as number))));
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
  m.add(
    tf.layers.conv1d({
      inputShape: [steps, channels],
      filters: 16,
      kernelSize: 7,
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: init(tf, s++),
    }),
  );
  m.add(tf.layers.maxPooling1d({ poolSize: 4 }));
  m.add(
    tf.layers.conv1d({
      filters: 32,
      kernelSize: 5,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(tf, s++),
    }),
  );
  m.add(tf.layers.maxPooling1d({ poolSize: 4 }));
  m.add(tf.layers.globalMaxPooling1d({}));
  m.add(tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(tf, s++) }));
  m.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(tf, s++) }));
  return m;
}
