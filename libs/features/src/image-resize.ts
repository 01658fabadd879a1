/** An 8-bit grayscale image, row-major. */
export interface GrayFrame {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** For each output index along one axis: the source indices it covers and their weights (summing to 1). */
function areaTaps(src: number, dst: number): { index: Int32Array; weight: Float32Array; start: Int32Array } {
  const scale = src / dst;
  const index: number[] = [];
  const weight: number[] = [];
  const start = new Int32Array(dst + 1);
  for (let o = 0; o < dst; o++) {
    start[o] = index.length;
    const lo = o * scale;
    const hi = (o + 1) * scale;
    for (let s = Math.floor(lo); s < Math.min(src, Math.ceil(hi)); s++) {
      const w = (Math.min(hi, s + 1) - Math.max(lo, s)) / scale;
      if (w > 1e-9) {
        index.push(s);
        weight.push(w);
      }
    }
  }
  start[dst] = index.length;
  return { index: Int32Array.from(index), weight: Float32Array.from(weight), start };
}

/**
 * Resizes a gray frame to height×width by area averaging — every output pixel is the mean of the
 * source area it covers, fractional edges weighted (OpenCV's INTER_AREA) — and maps 0..255 to
 * 0..1, written at `out[offset…]`. Unlike nearest neighbour, which keeps one source pixel in
 * (src/dst)² and can step over a thin crack entirely, every source pixel contributes; when
 * enlarging it falls back to the covering pixel. The aspect ratio is not kept (the frame is
 * stretched to the model's input), the same in training and at the edge.
 */
export function resizeGrayArea(
  img: GrayFrame,
  height: number,
  width: number,
  out: Float32Array = new Float32Array(height * width),
  offset = 0,
): Float32Array {
  if (!(img.width > 0 && img.height > 0 && img.pixels.length >= img.width * img.height))
    throw new RangeError(`resizeGrayArea: image ${img.width}×${img.height} has ${img.pixels.length} pixels`);
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0))
    throw new RangeError(`resizeGrayArea: target ${height}×${width} must be positive integers`);
  const cols = areaTaps(img.width, width);
  const rows = areaTaps(img.height, height);
  // horizontal pass: every source row to `width` columns
  const tmp = new Float32Array(img.height * width);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let t = cols.start[x] as number; t < (cols.start[x + 1] as number); t++)
        acc += (img.pixels[row + (cols.index[t] as number)] as number) * (cols.weight[t] as number);
      tmp[y * width + x] = acc;
    }
  }
  // vertical pass
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[offset + y * width + x] = 0;
    for (let t = rows.start[y] as number; t < (rows.start[y + 1] as number); t++) {
      const w = (rows.weight[t] as number) / 255;
      const src = (rows.index[t] as number) * width;
      for (let x = 0; x < width; x++)
        out[offset + y * width + x] = (out[offset + y * width + x] as number) + (tmp[src + x] as number) * w;
    }
  }
  return out;
}
