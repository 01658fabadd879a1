import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { resizeGrayArea } from '@takt/features';
import { TrainerError } from '../errors.js';

/** An 8-bit grayscale image, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const startsWith = (b: Uint8Array, magic: number[]) => magic.every((v, i) => b[i] === v);

/** ITU-R BT.601 luma of RGBA pixels (alpha ignored: frames are opaque). */
function rgbaToGray(rgba: Uint8Array | Buffer, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.round(
      0.299 * (rgba[4 * i] as number) + 0.587 * (rgba[4 * i + 1] as number) + 0.114 * (rgba[4 * i + 2] as number),
    );
  }
  return out;
}

/**
 * Decodes a PNG or JPEG (told apart by their magic bytes, whatever the file is called) to
 * grayscale. Throws `TrainerError('UNREADABLE_IMAGE')` naming the file.
 */
export function decodeImage(bytes: Uint8Array, file: string): GrayImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (startsWith(bytes, PNG_MAGIC)) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, pixels: rgbaToGray(png.data, png.width, png.height) };
    }
    if (startsWith(bytes, JPEG_MAGIC)) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      return { width: img.width, height: img.height, pixels: rgbaToGray(img.data, img.width, img.height) };
    }
  } catch (err) {
    throw new TrainerError('UNREADABLE_IMAGE', `image ${file} cannot be decoded: ${(err as Error).message}`);
  }
  throw new TrainerError('UNREADABLE_IMAGE', `image ${file} is neither PNG nor JPEG (${bytes.byteLength} bytes)`);
}

/**
 * Resizes to size×size by area averaging and maps 0..255 to 0..1 (`resizeGrayArea` from
 * `@takt/features`, the function the edge must run on a camera frame before inference, so the
 * model sees the same pixels in training as in production).
 */
export function resizeToUnit(img: GrayImage, size: number): Float32Array {
  return resizeGrayArea(img, size, size);
}
