import { resizeGrayArea } from '@takt/features';
import { pngDimensions, type CameraFrame, type ModelManifest } from '@takt/contracts';
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
  // the header first: a small hostile PNG can declare (and inflate to) gigabytes; decode only what the frame says it is
  const declared = pngDimensions(bytes);
  if (!declared || declared.width !== frame.width || declared.height !== frame.height) {
    const what = declared ? `declares ${declared.width}×${declared.height}` : 'has no PNG header';
    throw new EdgeError(
      'BAD_FRAME',
      `frame ${frame.frameId}: the PNG ${what}, the frame says ${frame.width}×${frame.height}`,
    );
  }
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (err) {
    throw new EdgeError('BAD_FRAME', `frame ${frame.frameId}: not a readable PNG: ${(err as Error).message}`, {
      cause: err,
    });
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
export async function inspectFrames(
  model: LoadedModel,
  images: GrayImage[],
): Promise<{ results: Classification[]; latencyMs: number }> {
  const { height, width } = visionInputSize(model.manifest);
  const data = new Float32Array(images.length * height * width);
  images.forEach((img, i) => imageToInput(img, height, width, data, i * height * width));
  const out = await model.run(data, [images.length, height, width, 1]);
  const probs = out.values[model.manifest.outputs[0]?.name ?? ''] ?? new Float64Array(0);
  return { results: classify(model.manifest, probs, images.length), latencyMs: out.latencyMs };
}

/**
 * A small preview of a frame for engineers: area-averaged to `px` on its longer side, as an 8-bit grayscale PNG
 * in base64 (a 64 px thumbnail is about 3 KB).
 */
export function thumbnailPng(img: GrayImage, px: number): string {
  const scale = Math.min(1, px / Math.max(img.width, img.height));
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  const unit = resizeGrayArea({ width: img.width, height: img.height, pixels: img.pixels }, height, width);
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(Uint8Array.from(unit, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }).toString('base64');
}
