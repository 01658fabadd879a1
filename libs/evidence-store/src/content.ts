import { PNG } from 'pngjs';
import { pngDimensions, type EvidenceFrame, type EvidenceWindow } from '@takt/contracts';
import { EvidenceStoreError } from './errors.js';

/** The eight bytes every PNG file starts with. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when the bytes start with the PNG signature (a cheap first check before decoding). */
export function hasPngSignature(bytes: Uint8Array): boolean {
  return (
    bytes.byteLength >= PNG_SIGNATURE.length &&
    PNG_SIGNATURE.equals(Buffer.from(bytes.buffer, bytes.byteOffset, PNG_SIGNATURE.length))
  );
}

/** Most pixels a PNG may declare before it is decoded (4096 × 4096): a small file must not inflate to gigabytes. */
export const MAX_PNG_PIXELS = 4096 * 4096;

/**
 * Width and height of a PNG file that decodes; throws `EvidenceStoreError('BAD_IMAGE')` otherwise. The size its
 * header declares is checked against `maxPixels` first, so a decompression bomb is refused without decoding it.
 */
export function pngSize(bytes: Uint8Array, maxPixels = MAX_PNG_PIXELS): { width: number; height: number } {
  if (!hasPngSignature(bytes))
    throw new EvidenceStoreError('BAD_IMAGE', 'not a PNG file (the PNG signature is missing)');
  const declared = pngDimensions(bytes);
  if (!declared) throw new EvidenceStoreError('BAD_IMAGE', 'PNG does not decode: it does not start with an IHDR chunk');
  if (declared.width * declared.height > maxPixels)
    throw new EvidenceStoreError(
      'BAD_IMAGE',
      `PNG declares ${declared.width}×${declared.height} pixels, more than ${maxPixels}; it is not decoded`,
    );
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height };
  } catch (err) {
    throw new EvidenceStoreError('BAD_IMAGE', `PNG does not decode: ${(err as Error).message}`, { cause: err });
  }
}

/** An 8-bit grayscale PNG of row-major gray8 pixels. */
export function encodeGrayPng(width: number, height: number, pixels: Uint8Array): Buffer {
  if (pixels.byteLength !== width * height)
    throw new EvidenceStoreError('BAD_IMAGE', `gray8 data holds ${pixels.byteLength} bytes, not ${width}×${height}`);
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/**
 * The blob of a frame: always a PNG file. `gray8` frames are encoded; `png` frames are checked to
 * decode at the width and height the message states. Throws `BAD_IMAGE`.
 */
export function frameBlob(frame: Pick<EvidenceFrame, 'width' | 'height' | 'encoding' | 'data'>): Buffer {
  const bytes = Buffer.from(frame.data, 'base64');
  if (frame.encoding === 'gray8') return encodeGrayPng(frame.width, frame.height, bytes);
  const size = pngSize(bytes, frame.width * frame.height);
  if (size.width !== frame.width || size.height !== frame.height) {
    throw new EvidenceStoreError(
      'BAD_IMAGE',
      `PNG is ${size.width}×${size.height}, the message says ${frame.width}×${frame.height}`,
    );
  }
  return bytes;
}

/** The blob of a raw window: the UTF-8 JSON of `{ t0, sensors }`. */
export function windowBlob(window: Pick<EvidenceWindow, 't0' | 'sensors'>): Buffer {
  return Buffer.from(JSON.stringify({ t0: window.t0, sensors: window.sensors }), 'utf8');
}
