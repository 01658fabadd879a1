import { PNG } from 'pngjs';
import type { GrayImage } from './render.js';

/** Encodes a grayscale image as an 8-bit grayscale PNG file. */
export function encodePng(img: GrayImage): Buffer {
  const png = new PNG({
    width: img.width,
    height: img.height,
    colorType: 0,
    inputColorType: 0,
    bitDepth: 8,
    inputHasAlpha: false,
  });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Decodes a PNG file to grayscale (any colour type; RGB is averaged). */
export function decodePng(bytes: Buffer): GrayImage {
  const png = PNG.sync.read(bytes);
  const data = new Uint8Array(png.width * png.height);
  for (let i = 0; i < data.length; i++) {
    const r = png.data[4 * i] as number;
    const g = png.data[4 * i + 1] as number;
    const b = png.data[4 * i + 2] as number;
    data[i] = Math.round((r + g + b) / 3);
  }
  return { width: png.width, height: png.height, data };
}
