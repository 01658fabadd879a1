import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from '@takt/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '@takt/testing';
import type { DefectClass } from '../plant/schema.js';
import { writeDataset } from './dataset.js';
import { decodePng } from './png.js';
import type { GrayImage } from './render.js';
import { CameraStation } from './station.js';

/** Box blur of radius r via an integral image (edges clamp to the window inside the image). */
function blur(img: GrayImage, r: number): Float64Array {
  const { width: w, height: h, data } = img;
  const sum = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      sum[(y + 1) * (w + 1) + x + 1] =
        (data[y * w + x] as number) + sum[y * (w + 1) + x + 1]! + sum[(y + 1) * (w + 1) + x]! - sum[y * (w + 1) + x]!;
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [x0, y0, x1, y1] = [Math.max(0, x - r), Math.max(0, y - r), Math.min(w, x + r + 1), Math.min(h, y + r + 1)];
      out[y * w + x] =
        (sum[y1 * (w + 1) + x1]! - sum[y0 * (w + 1) + x1]! - sum[y1 * (w + 1) + x0]! + sum[y0 * (w + 1) + x0]!) /
        ((x1 - x0) * (y1 - y0));
    }
  }
  return out;
}

/** Largest 8-connected set of marked pixels: its pixel count and principal-axis spreads. */
function largestComponent(mask: Uint8Array, w: number): { count: number; major: number; minor: number } {
  const seen = new Uint8Array(mask.length);
  let best = { count: 0, major: 0, minor: 0 };
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    const stack = [start];
    const pts: [number, number][] = [];
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop() as number;
      pts.push([i % w, Math.floor(i / w)]);
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const [x, y] = [(i % w) + dx, Math.floor(i / w) + dy];
          const j = y * w + x;
          if (x >= 0 && y >= 0 && x < w && j < mask.length && mask[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
    }
    if (pts.length <= best.count) continue;
    const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
    const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
    let [sxx, syy, sxy] = [0, 0, 0];
    for (const [x, y] of pts) {
      sxx += (x - mx) ** 2;
      syy += (y - my) ** 2;
      sxy += (x - mx) * (y - my);
    }
    [sxx, syy, sxy] = [sxx / pts.length, syy / pts.length, sxy / pts.length];
    const d = Math.sqrt(((sxx - syy) / 2) ** 2 + sxy * sxy);
    best = {
      count: pts.length,
      major: Math.sqrt((sxx + syy) / 2 + d),
      minor: Math.sqrt(Math.max(0, (sxx + syy) / 2 - d)),
    };
  }
  return best;
}

/**
 * A hand-written detector: a large soft deviation is a stain; thin marks are judged by the shape of
 * the largest marked patch — compact → pit, long and straight → scratch, otherwise crack; nothing → ok.
 */
function classify(img: GrayImage): DefectClass {
  const w = img.width;
  const [sm, bg, coarse, wide] = [blur(img, 1), blur(img, 5), blur(img, 4), blur(img, 24)];
  const inside = (i: number, m: number) =>
    i % w >= m && Math.floor(i / w) >= m && i % w < w - m && Math.floor(i / w) < w - m;
  const mask = (th: number) =>
    sm.map((v, i) => (inside(i, 3) && Math.abs(v - bg[i]!) > th ? 1 : 0)) as unknown as Uint8Array;
  let stainArea = 0;
  for (let i = 0; i < sm.length; i++) if (inside(i, 12) && Math.abs(coarse[i]! - wide[i]!) > 12) stainArea++;
  const weak = largestComponent(Uint8Array.from(mask(12)), w);
  const strong = largestComponent(Uint8Array.from(mask(16)), w);
  if (weak.count < 8) return stainArea > 250 ? 'stain' : 'ok';
  if (stainArea > 250 && strong.count < 10) return 'stain';
  if (strong.minor > 1.3 && strong.major < 4) return 'pit';
  return strong.major / Math.max(strong.minor, 0.3) >= 7 ? 'scratch' : 'crack';
}

const out = tempDir('takt-images-');
afterAll(() => out.remove());

describe('camera images', () => {
  const rows = writeDataset({ count: 250, size: 96, seed: 11, out: out.path });

  it('writes PNGs and labels.csv (file,label); the same seed gives the same bytes', () => {
    const csv = readFileSync(join(out.path, 'labels.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('file,label');
    expect(csv.slice(1)).toEqual(rows.map((r) => `${r.file},${r.label}`));
    const again = tempDir('takt-images-');
    try {
      writeDataset({ count: 5, size: 96, seed: 11, out: again.path });
      for (const r of rows.slice(0, 5))
        expect(readFileSync(join(again.path, r.file)).equals(readFileSync(join(out.path, r.file)))).toBe(true);
    } finally {
      again.remove();
    }
    const counts = Object.fromEntries(
      ['ok', 'scratch', 'pit', 'crack', 'stain'].map((k) => [k, rows.filter((r) => r.label === k).length]),
    );
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(25);
  });

  it('images decode and a simple detector recovers their labels (≥ 85 % overall, every class ≥ 70 %)', () => {
    const confusion: Record<string, Record<string, number>> = {};
    let right = 0;
    for (const r of rows) {
      const img = decodePng(readFileSync(join(out.path, r.file)));
      expect([img.width, img.height]).toEqual([96, 96]);
      const got = classify(img);
      (confusion[r.label] ??= {})[got] = (confusion[r.label]?.[got] ?? 0) + 1;
      if (got === r.label) right++;
    }
    const perClass = Object.fromEntries(
      Object.entries(confusion).map(([k, v]) => [k, (v[k] ?? 0) / Object.values(v).reduce((a, b) => a + b, 0)]),
    );
    expect(
      { accuracy: right / rows.length > 0.85, perClass: Object.values(perClass).every((p) => p >= 0.7) },
      JSON.stringify(confusion),
    ).toEqual({ accuracy: true, perClass: true });
  });

  it('a camera station publishes valid frames (png and gray8) with truth labels at its defect rate, deterministically', () => {
    const frames = (encoding: 'png' | 'gray8') => {
      const s = new CameraStation({
        address: { site: 's', line: 'l', device: 'cam-1' },
        spec: { fps: 10, size: 64, encoding, defectRate: 0.3 },
        seed: 4,
        startMs: 1_767_225_600_000,
      });
      return s.framesIn(1_767_225_600_000, 1_767_225_600_000 + 20_000);
    };
    const png = frames('png');
    expect(png).toHaveLength(200);
    expect(JSON.stringify(frames('png'))).toBe(JSON.stringify(png));
    for (const f of png.slice(0, 10)) expect(decode('camera', encode('camera', f))).toEqual(f);
    const defective = png.filter((f) => f.truth !== 'ok').length / png.length;
    expect(defective).toBeGreaterThan(0.18);
    expect(defective).toBeLessThan(0.42);
    const gray = frames('gray8');
    expect(gray.map((f) => f.truth)).toEqual(png.map((f) => f.truth));
    const bytes = Buffer.from(gray[0]!.data, 'base64');
    expect(bytes.equals(Buffer.from(decodePng(Buffer.from(png[0]!.data, 'base64')).data))).toBe(true);
  });
});
