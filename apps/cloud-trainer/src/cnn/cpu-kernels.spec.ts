import { describe, expect, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { loadTensorflow } from '../tf-backend.js';
import { installFastCpuKernels } from './cpu-kernels.js';

/** Each op's gradient-bearing results, computed once with tfjs's own kernels and once with ours. */
function run(tf: typeof tfjs, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const out: Float32Array[] = [];
    for (const [h, w, ci, co, stride, pad] of [
      [9, 7, 1, 4, 1, 'same'],
      [8, 8, 3, 5, 2, 'same'],
      [10, 6, 2, 3, 1, 'valid'],
      [1, 33, 3, 6, 1, 'same'], // conv1d as tfjs-layers runs it
    ] as const) {
      const x = tf.randomNormal([3, h, w, ci], 0, 1, 'float32', seed);
      const k = tf.randomNormal([h === 1 ? 1 : 3, 3, ci, co], 0, 1, 'float32', seed + 1);
      const b = tf.randomNormal([co], 0, 1, 'float32', seed + 2);
      const y = tf.conv2d(x as tfjs.Tensor4D, k as tfjs.Tensor4D, stride, pad);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 3);
      const f = (xx: tfjs.Tensor, kk: tfjs.Tensor) => tf.fused.conv2d({ x: xx as tfjs.Tensor4D, filter: kk as tfjs.Tensor4D, strides: stride, pad, bias: b, activation: 'relu' }).mul(dy).sum();
      const [dx, dk] = tf.grads(f)([x, k]);
      const pool = tf.grad((v: tfjs.Tensor) => tf.maxPool(v as tfjs.Tensor4D, 2, 2, 'valid').mul(tf.randomNormal(tf.maxPool(v as tfjs.Tensor4D, 2, 2, 'valid').shape, 0, 1, 'float32', seed)).sum())(tf.relu(x));
      out.push(...[y, f(x, k), dx, dk, pool].map((t) => (t as tfjs.Tensor).dataSync() as Float32Array));
    }
    return out;
  });
}

describe('fast CPU kernels', () => {
  it('compute what tfjs’s own CPU kernels compute: conv, fused conv+ReLU, both gradients, max-pool gradient', async () => {
    const { tf, backend } = await loadTensorflow();
    if (backend !== 'cpu') return; // tfjs-node brings native kernels; nothing is replaced
    const expected = run(tf, 42);
    const names = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPoolGrad'];
    const originals = names.map((n) => tf.getKernel(n, 'cpu')?.kernelFunc);
    installFastCpuKernels(tf);
    names.forEach((n, i) => expect(tf.getKernel(n, 'cpu')?.kernelFunc, n).not.toBe(originals[i]));
    const actual = run(tf, 42);
    expect(actual.length).toBe(expected.length);
    actual.forEach((a, i) => {
      const e = expected[i] as Float32Array;
      expect(a.length).toBe(e.length);
      let worst = 0;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs((a[j] as number) - (e[j] as number)) / Math.max(1, Math.abs(e[j] as number)));
      expect(worst, `result ${i}`).toBeLessThan(1e-4);
    });
  });
});
