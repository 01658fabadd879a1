import type { SeededRandom } from '../anomaly/random.js';

export interface AugmentOptions {
  /** chance of a left-right flip; default 0.5 */
  flipH?: number;
  /** chance of an up-down flip; default 0.5 */
  flipV?: number;
  /** largest rotation either way, degrees; default 10 */
  rotateDeg?: number;
  /** largest brightness shift either way, in 0..1 pixel units; default 0.1 */
  brightness?: number;
  /** largest relative contrast change either way; default 0.2 (×0.8..×1.2 around the mean) */
  contrast?: number;
}

function sampleBilinear(src: Float32Array, size: number, x: number, y: number): number {
  const cx = Math.min(Math.max(x, 0), size - 1);
  const cy = Math.min(Math.max(y, 0), size - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, size - 1);
  const y1 = Math.min(y0 + 1, size - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (xx: number, yy: number) => src[yy * size + xx] as number;
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
}

/** Flips and rotates one size×size image about its centre (edges replicated), into a new array. */
function geometric(src: Float32Array, size: number, flipH: boolean, flipV: boolean, angle: number): Float32Array {
  const out = new Float32Array(size * size);
  const c = (size - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      const dy = y - c;
      let sx = cos * dx + sin * dy + c;
      let sy = -sin * dx + cos * dy + c;
      if (flipH) sx = size - 1 - sx;
      if (flipV) sy = size - 1 - sy;
      out[y * size + x] = sampleBilinear(src, size, sx, sy);
    }
  }
  return out;
}

/** One random variant of a 0..1 grayscale image: flips, a small rotation, brightness and contrast. */
export function augmentImage(src: Float32Array, size: number, rng: SeededRandom, options: AugmentOptions = {}): Float32Array {
  const rot = ((options.rotateDeg ?? 10) * Math.PI) / 180;
  const img = geometric(src, size, rng.next() < (options.flipH ?? 0.5), rng.next() < (options.flipV ?? 0.5), (rng.next() * 2 - 1) * rot);
  const shift = (rng.next() * 2 - 1) * (options.brightness ?? 0.1);
  const gain = 1 + (rng.next() * 2 - 1) * (options.contrast ?? 0.2);
  let mean = 0;
  for (const v of img) mean += v / img.length;
  for (let i = 0; i < img.length; i++) img[i] = Math.min(1, Math.max(0, ((img[i] as number) - mean) * gain + mean + shift));
  return img;
}

/** A fresh augmented copy of a whole batch (N images of size×size). */
export function augmentBatch(pixels: Float32Array, size: number, rng: SeededRandom, options: AugmentOptions = {}): Float32Array {
  const per = size * size;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length / per; i++) out.set(augmentImage(pixels.subarray(i * per, (i + 1) * per), size, rng, options), i * per);
  return out;
}
