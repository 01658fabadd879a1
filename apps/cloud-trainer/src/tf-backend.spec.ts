import { describe, expect, it } from 'vitest';
import { describeBackend, loadTensorflow } from './tf-backend.js';

describe('loadTensorflow', () => {
  it('falls back to the tfjs wasm backend when tfjs-node is not installed, and computes on it', async () => {
    const rt = await loadTensorflow();
    let nativeInstalled = true;
    try {
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
    } catch {
      nativeInstalled = false;
    }
    expect(rt.package).toBe(nativeInstalled ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-backend-wasm');
    if (!nativeInstalled) expect(rt.backend).toBe('wasm');
    expect(describeBackend(rt)).toContain(rt.backend);
    const sum = rt.tf.tidy(() => rt.tf.tensor1d([1, 2, 3]).square().sum().dataSync()[0]);
    expect(sum).toBe(14);
    expect(await loadTensorflow()).toBe(rt);
  });
});
