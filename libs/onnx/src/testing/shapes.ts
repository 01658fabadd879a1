import { seededRandom } from './helpers.js';

/**
 * A tiny, separable image set: `size`×`size` gray images of a horizontal bar (0), a vertical bar (1)
 * or a bright square (2) at random places, on noise. Values in [0, 1], NHWC with one channel.
 */
export function shapesDataset(count: number, size: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = seededRandom(seed);
  const x = new Float32Array(count * size * size);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const cls = n % 3;
    y[n] = cls;
    const img = x.subarray(n * size * size, (n + 1) * size * size);
    for (let i = 0; i < img.length; i++) img[i] = r() * 0.3;
    const a = 1 + Math.floor(r() * (size - 6));
    const b = 1 + Math.floor(r() * (size - 6));
    const len = 4 + Math.floor(r() * (size - a - 4));
    for (let t = 0; t < len; t++) {
      const bright = 0.6 + r() * 0.4;
      if (cls === 0) img[a * size + Math.min(size - 1, b + t)] = bright;
      if (cls === 1) img[Math.min(size - 1, a + t) * size + b] = bright;
    }
    if (cls === 2)
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) img[(a + dy) * size + b + dx] = 0.6 + r() * 0.4;
  }
  return { x, y };
}
