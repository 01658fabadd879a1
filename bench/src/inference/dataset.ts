import { partClass, renderPart } from '@takt/plant';

export const CLASSES = ['ok', 'scratch', 'pit', 'crack', 'stain'] as const;

/** Camera frames from the plant simulator's renderer: `size`² gray parts, classes balanced, values in [0, 1], NHWC. */
export function cameraDataset(count: number, size: number, seed: number): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(count * size * size);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const cls = CLASSES[n % CLASSES.length] as (typeof CLASSES)[number];
    const { rng } = partClass(seed, 'bench-inference', n, 0);
    const img = renderPart(rng, size, cls);
    y[n] = n % CLASSES.length;
    for (let i = 0; i < img.data.length; i++) x[n * size * size + i] = (img.data[i] as number) / 255;
  }
  return { x, y };
}
