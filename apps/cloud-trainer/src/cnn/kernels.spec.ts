import { describe, expect, it, onTestFinished } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { loadTensorflow } from '../tf-backend.js';
import { installFastCpuKernels } from './cpu-kernels.js';

/** Each op's gradient-bearing results on the current backend: conv, fused conv+ReLU, both conv gradients, max-pool (with ties) and batch-norm gradients. */
function run(tf: typeof tfjs, seed: number, poolTies = true): Float32Array[] {
  return tf.tidy(() => {
    const out: Float32Array[] = [];
    for (const [h, w, ci, co, stride, pad] of [
      [9, 7, 1, 4, 1, 'same'],
      [8, 8, 3, 5, 2, 'same'],
      [9, 9, 2, 3, 2, 'valid'], // stride 2 leaves the last input row unused
      [10, 6, 2, 3, 1, 'valid'],
      [1, 33, 3, 6, 1, 'same'], // conv1d as tfjs-layers runs it
    ] as const) {
      const x = tf.randomNormal([3, h, w, ci], 0, 1, 'float32', seed);
      const k = tf.randomNormal([h === 1 ? 1 : 3, 3, ci, co], 0, 1, 'float32', seed + 1);
      const b = tf.randomNormal([co], 0, 1, 'float32', seed + 2);
      const y = tf.conv2d(x as tfjs.Tensor4D, k as tfjs.Tensor4D, stride, pad);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 3);
      const f = (xx: tfjs.Tensor, kk: tfjs.Tensor) =>
        tf.fused
          .conv2d({
            x: xx as tfjs.Tensor4D,
            filter: kk as tfjs.Tensor4D,
            strides: stride,
            pad,
            bias: b,
            activation: 'relu',
          })
          .mul(dy)
          .sum();
      const [dx, dk] = tf.grads(f)([x, k]);
      // a 2×2 pool of a one-row input is empty (wasm's MaxPoolGrad faults on it); conv1d pools 1×2.
      // Pools follow ReLUs. With `poolTies` the gradient w.r.t. the ReLU's output shows which of the tied
      // zeros gets it (tfjs's cpu kernel: the first); without, it is taken through the ReLU, where ties
      // do not matter (wasm's kernel gives them elsewhere, and drops windows of negatives, which a ReLU never makes)
      const window: [number, number] = h === 1 ? [1, 2] : [2, 2];
      const pooled = (v: tfjs.Tensor) => tf.maxPool(v as tfjs.Tensor4D, window, window, 'valid');
      const poolDy = tf.randomNormal(pooled(x).shape, 0, 1, 'float32', seed);
      const pool = poolTies
        ? tf.grad((v: tfjs.Tensor) => pooled(v).mul(poolDy).sum())(tf.relu(x))
        : tf.grad((v: tfjs.Tensor) => pooled(tf.relu(v)).mul(poolDy).sum())(x);
      const scale = tf.randomNormal([co], 1, 0.1, 'float32', seed + 4);
      const bn = tf.grad((v: tfjs.Tensor) => {
        const { mean, variance } = tf.moments(v, [0, 1, 2]);
        return tf.batchNorm(v, mean, variance, tf.zerosLike(scale), scale, 1e-3).mul(dy).sum();
      })(y);
      out.push(...[y, f(x, k), dx, dk, pool, bn].map((t) => (t as tfjs.Tensor).dataSync() as Float32Array));
    }
    return out;
  });
}

function expectClose(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i] as Float32Array;
    expect(a.length, `result ${i}`).toBe(e.length);
    let worst = 0;
    for (let j = 0; j < a.length; j++)
      worst = Math.max(worst, Math.abs((a[j] as number) - (e[j] as number)) / Math.max(1, Math.abs(e[j] as number)));
    expect(worst, `result ${i}`).toBeLessThan(1e-4);
  });
}

describe('fast training kernels', () => {
  it('cpu: compute what tfjs’s own CPU kernels compute: conv, fused conv+ReLU, both gradients, max-pool gradient', async () => {
    const { tf, backend } = await loadTensorflow();
    if (backend === 'tensorflow') return; // tfjs-node brings native kernels; nothing is replaced
    await tf.setBackend('cpu');
    onTestFinished(() => void tf.setBackend(backend));
    const expected = run(tf, 42);
    const names = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPoolGrad'];
    const originals = names.map((n) => tf.getKernel(n, 'cpu')?.kernelFunc);
    installFastCpuKernels(tf);
    names.forEach((n, i) => expect(tf.getKernel(n, 'cpu')?.kernelFunc, n).not.toBe(originals[i]));
    expectClose(run(tf, 42), expected);
  });

  it('wasm: both conv gradients (strides 1 and 2, same and valid) and the batch-norm gradient match tfjs’s cpu kernels, leaking no tensor', async () => {
    const { tf, backend } = await loadTensorflow();
    if (backend !== 'wasm') return;
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    await tf.setBackend('cpu');
    onTestFinished(() => void tf.setBackend(backend));
    const expected = run(tf, 7, false);
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const actual = run(tf, 7, false);
    expect(tf.memory().numTensors).toBe(before);
    expectClose(actual, expected);
  });
});
