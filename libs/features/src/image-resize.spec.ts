import { describe, expect, it } from 'vitest';
import { resizeGrayArea } from './image-resize.js';

const frame = (width: number, height: number, f: (x: number, y: number) => number) => ({
  width,
  height,
  pixels: Uint8Array.from({ length: width * height }, (_, i) => f(i % width, Math.floor(i / width))),
});

describe('resizeGrayArea', () => {
  it('averages whole blocks when the size divides: 4×4 → 2×2', () => {
    const img = frame(4, 4, (x, y) => (x < 2 ? 0 : 255) * (y < 2 ? 1 : 0) + (y >= 2 ? 51 : 0));
    expect(Array.from(resizeGrayArea(img, 2, 2), (v) => Math.round(v * 255))).toEqual([0, 255, 51, 51]);
  });

  it('weights fractional edges: 3 px → 2 px gives [a + b/2, b/2 + c] / 1.5', () => {
    const img = frame(3, 1, (x) => [30, 90, 150][x] as number);
    const out = resizeGrayArea(img, 1, 2);
    expect((out[0] as number) * 255).toBeCloseTo((30 + 45) / 1.5, 4);
    expect((out[1] as number) * 255).toBeCloseTo((45 + 150) / 1.5, 4);
  });

  it('keeps a one-pixel crack that nearest neighbour steps over (256 → 32, crack at column 100)', () => {
    const img = frame(256, 256, (x) => (x === 100 ? 0 : 200));
    const out = resizeGrayArea(img, 32, 32);
    const col = Math.floor(100 / 8);
    expect((out[col] as number) * 255).toBeCloseTo(200 * (7 / 8), 3);
    expect((out[col + 1] as number) * 255).toBeCloseTo(200, 3);
    // the mean brightness is preserved
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    expect(mean * 255).toBeCloseTo(200 * (255 / 256), 3);
  });

  it('enlarging repeats the covering pixel; writes at an offset', () => {
    const out = new Float32Array(2 + 4);
    resizeGrayArea(
      frame(1, 1, () => 255),
      2,
      2,
      out,
      2,
    );
    expect(Array.from(out)).toEqual([0, 0, 1, 1, 1, 1]);
  });

  it('BAD CALL - empty image or non-integer size throw RangeError', () => {
    expect(() => resizeGrayArea({ width: 0, height: 3, pixels: new Uint8Array(0) }, 2, 2)).toThrow(RangeError);
    expect(() =>
      resizeGrayArea(
        frame(2, 2, () => 0),
        1.5,
        2,
      ),
    ).toThrow(RangeError);
  });
});
