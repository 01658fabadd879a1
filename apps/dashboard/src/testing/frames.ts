import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A grayscale PNG (8-bit) of `pixels` (row-major, width × height). */
export function grayPng(width: number, height: number, pixels: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++)
    Buffer.from(pixels.subarray(y * width, (y + 1) * width)).copy(raw, y * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 64×64 brushed-metal part with a drawn defect, as a base64 PNG thumbnail. */
export function partThumbnail(defect: 'ok' | 'scratch' | 'pit' | 'crack' | 'stain', seed: number): string {
  const w = 64;
  const px = new Uint8Array(w * w);
  let s = seed * 2654435761;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let y = 0; y < w; y++)
    for (let x = 0; x < w; x++) px[y * w + x] = 150 + Math.round(25 * Math.sin(x / 9 + seed) + 12 * rnd());
  const put = (x: number, y: number, v: number) => {
    if (x >= 0 && y >= 0 && x < w && y < w) px[y * w + x] = v;
  };
  if (defect === 'scratch') for (let i = 0; i < 40; i++) put(12 + i, 14 + Math.round(i * 0.8), 40);
  if (defect === 'pit')
    for (let y = -4; y <= 4; y++) for (let x = -4; x <= 4; x++) if (x * x + y * y <= 16) put(32 + x, 30 + y, 30);
  if (defect === 'crack') for (let i = 0, x = 10; i < 50; i++) put((x += rnd() < 0.5 ? 1 : 0), 8 + i, 20);
  if (defect === 'stain')
    for (let y = -10; y <= 10; y++)
      for (let x = -12; x <= 12; x++) if (x * x + y * y * 1.4 <= 120) put(30 + x, 34 + y, 95);
  return grayPng(w, w, px).toString('base64');
}
