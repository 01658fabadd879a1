import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
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
    out[i] = Math.round(0.299 * (rgba[4 * i] as number) + 0.587 * (rgba[4 * i + 1] as number) + 0.114 * (rgba[4 * i + 2] as number));
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
 * Resizes to size×size by area averaging (every source pixel counts with the share of it a
 * target pixel covers, so downscaling does not alias) and maps 0..255 to 0..1.
 */
export function resizeToUnit(img: GrayImage, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const sx = img.width / size;
  const sy = img.height / size;
  for (let ty = 0; ty < size; ty++) {
    const y0 = ty * sy;
    const y1 = y0 + sy;
    for (let tx = 0; tx < size; tx++) {
      const x0 = tx * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(Math.ceil(y1), img.height); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(Math.ceil(x1), img.width); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          sum += w * (img.pixels[y * img.width + x] as number);
          area += w;
        }
      }
      out[ty * size + tx] = area > 0 ? sum / area / 255 : 0;
    }
  }
  return out;
}
