import { SeededRandom } from '../anomaly/random.js';

export interface AugmentOptions {
  /**
   * chance of a left-right flip; default 0: a fixed camera under fixed lighting never sees a mirrored
   * part, and mirroring moves the shading of lit texture to where it never falls (on the real
   * tiles flips made learning markedly slower)
   */
  flipH?: number;
  /** chance of an up-down flip; default 0 (as `flipH`) */
  flipV?: number;
  /** largest rotation either way, degrees; default 0 (resampling blurs the fine surface texture that thin cracks live in) */
  rotateDeg?: number;
  /** largest brightness shift either way, in 0..1 pixel units; default 0.05 */
  brightness?: number;
  /** largest relative contrast change either way; default 0.1 (×0.9..×1.1 around the mean) */
  contrast?: number;
  /** largest shift either way along each axis, as a share of the size; default 0.06 */
  shift?: number;
  /** largest change of the gamma exponent's log2 either way (exposure); default 0.15 (γ 0.90..1.11) */
  gamma?: number;
  /** largest standard deviation of added Gaussian sensor noise, 0..1 pixel units; default 0.005 */
  noise?: number;
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

interface Pose {
  flipH: boolean;
  flipV: boolean;
  /** radians */
  angle: number;
  /** pixels */
  dx: number;
  dy: number;
}

/** Flips and whole-pixel shifts only: a copy by index, no resampling (edges replicated). */
function flipShift(src: Float32Array, size: number, { flipH, flipV, dx, dy }: Pose): Float32Array {
  const out = new Float32Array(size * size);
  const clamp = (v: number) => (v < 0 ? 0 : v > size - 1 ? size - 1 : v);
  const cols = Int32Array.from({ length: size }, (_, x) => clamp(flipH ? size - 1 - (x - dx) : x - dx));
  for (let y = 0; y < size; y++) {
    const row = clamp(flipV ? size - 1 - (y - dy) : y - dy) * size;
    for (let x = 0; x < size; x++) out[y * size + x] = src[row + (cols[x] as number)] as number;
  }
  return out;
}

/** Flips, rotates about the centre and shifts one size×size image (edges replicated), into a new array. */
function geometric(src: Float32Array, size: number, pose: Pose): Float32Array {
  const { flipH, flipV, angle, dx: tx, dy: ty } = pose;
  if (angle === 0 && Number.isInteger(tx) && Number.isInteger(ty)) return flipShift(src, size, pose);
  const out = new Float32Array(size * size);
  const c = (size - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      const dy = y - c;
      let sx = cos * dx + sin * dy + c - tx;
      let sy = -sin * dx + cos * dy + c - ty;
      if (flipH) sx = size - 1 - sx;
      if (flipV) sy = size - 1 - sy;
      out[y * size + x] = sampleBilinear(src, size, sx, sy);
    }
  }
  return out;
}

/** A standard normal draw (Box–Muller). */
const gauss = (rng: SeededRandom) => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());

/** 64 Ki standard normal draws, made once; each image reads them from a random start (per-pixel draws cost more than the training step). */
const NOISE = (() => {
  const rng = new SeededRandom(0x5eed);
  return Float32Array.from({ length: 1 << 16 }, () => gauss(rng));
})();

/**
 * One random variant of a 0..1 grayscale image, as a fixed surface camera varies: small shifts
 * (part position), brightness, contrast and gamma (lighting, exposure) and Gaussian sensor noise;
 * flips and rotation only when asked for.
 */
export function augmentImage(
  src: Float32Array,
  size: number,
  rng: SeededRandom,
  options: AugmentOptions = {},
): Float32Array {
  const rot = ((options.rotateDeg ?? 0) * Math.PI) / 180;
  const shift = (options.shift ?? 0.06) * size;
  const u = () => rng.next() * 2 - 1;
  // whole-pixel shifts: with no rotation every output pixel is a source pixel, nothing is blurred
  const img = geometric(src, size, {
    flipH: rng.next() < (options.flipH ?? 0),
    flipV: rng.next() < (options.flipV ?? 0),
    angle: u() * rot,
    dx: Math.round(u() * shift),
    dy: Math.round(u() * shift),
  });
  const offset = u() * (options.brightness ?? 0.05);
  const gain = 1 + u() * (options.contrast ?? 0.1);
  const gamma = 2 ** (u() * (options.gamma ?? 0.15));
  const sigma = rng.next() * (options.noise ?? 0.005);
  const start = rng.int(NOISE.length);
  let mean = 0;
  for (const v of img) mean += v / img.length;
  for (let i = 0; i < img.length; i++) {
    const v =
      ((img[i] as number) - mean) * gain +
      mean +
      offset +
      sigma * (NOISE[(start + i * 7919) & (NOISE.length - 1)] as number);
    img[i] = Math.min(1, Math.max(0, v)) ** gamma;
  }
  return img;
}

/** A fresh augmented copy of a whole batch (N images of size×size). */
export function augmentBatch(
  pixels: Float32Array,
  size: number,
  rng: SeededRandom,
  options: AugmentOptions = {},
): Float32Array {
  const per = size * size;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length / per; i++)
    out.set(augmentImage(pixels.subarray(i * per, (i + 1) * per), size, rng, options), i * per);
  return out;
}
