import { resizeGrayArea } from '@takt/features';
import type { CameraFrame, ModelManifest } from '@takt/contracts';
import { PNG } from 'pngjs';
import { EdgeError } from '../errors.js';
import { classify, type Classification } from './fault-cnn.js';
import type { LoadedModel } from './loaded-model.js';

export interface GrayImage {
  width: number;
  height: number;
  /** row-major 8-bit gray */
  pixels: Uint8Array;
}

/** Decodes a camera frame (gray8 or PNG) to 8-bit gray; throws `EdgeError('BAD_FRAME')`. */
export function decodeFrame(frame: CameraFrame): GrayImage {
  const bytes = Buffer.from(frame.data, 'base64');
  if (frame.encoding === 'gray8') return { width: frame.width, height: frame.height, pixels: new Uint8Array(bytes) };
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (err) {
    throw new EdgeError('BAD_FRAME', `frame ${frame.frameId}: not a readable PNG: ${(err as Error).message}`, { cause: err });
  }
  const pixels = new Uint8Array(png.width * png.height);
  for (let i = 0; i < pixels.length; i++) {
    const r = png.data[i * 4] as number;
    const g = png.data[i * 4 + 1] as number;
    const b = png.data[i * 4 + 2] as number;
    pixels[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  return { width: png.width, height: png.height, pixels };
}

/** Input size of a vision model: shape [N, H, W, 1]. */
export function visionInputSize(m: ModelManifest): { height: number; width: number } {
  const [, height, width, ch] = m.input.shape;
  if (m.input.shape.length !== 4 || typeof height !== 'number' || typeof width !== 'number' || ch !== 1) {
    throw new EdgeError('UNSUPPORTED_MODEL', `cnn-vision model ${m.name} v${m.version} needs input shape [N, H, W, 1]`);
  }
  return { height, width };
}

/**
 * Resize to H×W, scaled to 0..1, written at `out[offset…]`: area averaging (`resizeGrayArea` of
 * @takt/features), exactly what the trainer fed the model, so a thin crack reaches it as in training.
 */
export function imageToInput(img: GrayImage, height: number, width: number, out: Float32Array, offset = 0): void {
  resizeGrayArea(img, height, width, out, offset);
}

/** Classifies a batch of frames in one run. */
export async function inspectFrames(model: LoadedModel, images: GrayImage[]): Promise<{ results: Classification[]; latencyMs: number }> {
  const { height, width } = visionInputSize(model.manifest);
  const data = new Float32Array(images.length * height * width);
  images.forEach((img, i) => imageToInput(img, height, width, data, i * height * width));
  const out = await model.run(data, [images.length, height, width, 1]);
  const probs = out.values[model.manifest.outputs[0]?.name ?? ''] ?? new Float64Array(0);
  return { results: classify(model.manifest, probs, images.length), latencyMs: out.latencyMs };
}
