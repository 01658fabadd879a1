import type { DefectClass } from '../plant/schema.js';
import { Rng } from '../prng.js';

/** A grayscale image, row-major, one byte per pixel. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A defect mark being drawn: depth per pixel, combined by maximum so overlapping strokes do not pile up. */
class Mark {
  readonly depth: Float32Array;
  constructor(readonly size: number) {
    this.depth = new Float32Array(size * size);
  }

  /** Stamps a soft disc of `radius` px and peak `amount` at (x, y). */
  stamp(x: number, y: number, radius: number, amount: number): void {
    const s = this.size;
    const reach = radius + 1;
    for (let py = Math.max(0, Math.floor(y - reach)); py <= Math.min(s - 1, Math.ceil(y + reach)); py++) {
      for (let px = Math.max(0, Math.floor(x - reach)); px <= Math.min(s - 1, Math.ceil(x + reach)); px++) {
        const d = Math.hypot(px - x, py - y);
        const v = amount * Math.min(1, Math.max(0, radius + 0.5 - d));
        const i = py * s + px;
        if (v > (this.depth[i] as number)) this.depth[i] = v;
      }
    }
  }

  /** Adds `sign × depth` to the surface. */
  applyTo(surface: Float32Array, sign: number): void {
    for (let i = 0; i < surface.length; i++) surface[i] = (surface[i] as number) + sign * (this.depth[i] as number);
  }
}

/** Brushed-metal surface: base level, streaks along a random direction, a few faint blotches. */
function surface(rng: Rng, s: number): Float32Array {
  const out = new Float32Array(s * s);
  const base = rng.range(95, 165);
  const angle = rng.range(0, Math.PI);
  const [cx, cy] = [Math.cos(angle), Math.sin(angle)];
  const streakAmp = rng.range(3, 9);
  const streaks = new Float32Array(4 * s);
  let level = 0;
  for (let i = 0; i < streaks.length; i++) streaks[i] = level = 0.7 * level + 0.3 * rng.normal() * 2.2;
  const blotches = Array.from({ length: 3 }, () => ({
    x: rng.range(0, s),
    y: rng.range(0, s),
    r: rng.range(0.1, 0.3) * s,
    a: rng.range(-5, 5),
  }));
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const u = Math.floor(-cy * x + cx * y + 2 * s) % streaks.length;
      let v = base + streakAmp * (streaks[u] as number);
      for (const b of blotches) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
      out[y * s + x] = v;
    }
  }
  return out;
}

function scratch(rng: Rng, s: number, img: Float32Array): void {
  const mark = new Mark(s);
  const len = rng.range(0.4, 0.85) * s;
  const angle = rng.range(0, Math.PI);
  const [cx, cy] = [rng.range(0.3, 0.7) * s, rng.range(0.3, 0.7) * s];
  const bow = rng.range(-0.06, 0.06) * len;
  const width = rng.range(0.6, 1.3);
  const amount = rng.range(50, 85);
  for (let k = -0.5; k <= 0.5; k += 0.4 / len) {
    const off = bow * (1 - 4 * k * k);
    mark.stamp(
      cx + k * len * Math.cos(angle) - off * Math.sin(angle),
      cy + k * len * Math.sin(angle) + off * Math.cos(angle),
      width,
      amount * (0.8 + 0.2 * Math.sin(k * 20)),
    );
  }
  mark.applyTo(img, rng.next() < 0.65 ? 1 : -1);
}

function pits(rng: Rng, s: number, img: Float32Array): void {
  const count = 1 + rng.int(3);
  const mark = new Mark(s);
  const rims: [number, number, number][] = [];
  for (let k = 0; k < count; k++) {
    const [x, y, r] = [rng.range(0.15, 0.85) * s, rng.range(0.15, 0.85) * s, rng.range(1.8, 4.2) * (s / 96)];
    mark.stamp(x, y, r, rng.range(60, 100));
    rims.push([x, y, r]);
  }
  mark.applyTo(img, -1);
  const rim = new Mark(s);
  const light = rng.range(0, 2 * Math.PI);
  for (const [x, y, r] of rims)
    rim.stamp(x + (r + 0.8) * Math.cos(light), y + (r + 0.8) * Math.sin(light), Math.max(0.8, r * 0.45), 35);
  rim.applyTo(img, 1);
}

function crack(rng: Rng, s: number, img: Float32Array): void {
  const mark = new Mark(s);
  const walk = (x: number, y: number, heading: number, steps: number, amount: number, branches: number) => {
    for (let k = 0; k < steps; k++) {
      heading += 0.45 * rng.normal();
      x += 1.5 * Math.cos(heading);
      y += 1.5 * Math.sin(heading);
      mark.stamp(x, y, rng.range(0.55, 1.0), amount * rng.range(0.8, 1));
      if (branches > 0 && rng.next() < 0.03) {
        branches--;
        walk(x, y, heading + (rng.next() < 0.5 ? 1 : -1) * rng.range(0.5, 1.1), Math.floor(steps / 3), amount * 0.8, 0);
      }
    }
  };
  const heading = rng.range(0, 2 * Math.PI);
  walk(
    rng.range(0.25, 0.75) * s,
    rng.range(0.25, 0.75) * s,
    heading,
    Math.floor((rng.range(0.3, 0.6) * s) / 1.5),
    rng.range(60, 95),
    2,
  );
  mark.applyTo(img, -1);
}

function stain(rng: Rng, s: number, img: Float32Array): void {
  const [cx, cy, r] = [rng.range(0.3, 0.7) * s, rng.range(0.3, 0.7) * s, rng.range(0.15, 0.28) * s];
  const harmonics = Array.from({ length: 4 }, (_, k) => ({
    n: k + 2,
    a: rng.range(0, 0.15),
    p: rng.range(0, 2 * Math.PI),
  }));
  const amount = rng.range(28, 50) * (rng.next() < 0.75 ? -1 : 1);
  const soft = rng.range(2, 5);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const a = Math.atan2(y - cy, x - cx);
      let edge = r;
      for (const h of harmonics) edge *= 1 + h.a * Math.sin(h.n * a + h.p);
      const inside = 1 / (1 + Math.exp((Math.hypot(x - cx, y - cy) - edge) / soft));
      const i = y * s + x;
      img[i] = (img[i] as number) + amount * inside * (0.9 + 0.1 * Math.sin(x * 0.35 + y * 0.2));
    }
  }
}

const DRAW: Record<Exclude<DefectClass, 'ok'>, (rng: Rng, s: number, img: Float32Array) => void> = {
  scratch,
  pit: pits,
  crack,
  stain,
};

/** Lighting (gradient + gain) and sensor grain, then 8-bit quantisation. */
function expose(rng: Rng, s: number, img: Float32Array): Uint8Array {
  const out = new Uint8Array(s * s);
  const angle = rng.range(0, 2 * Math.PI);
  const slope = rng.range(0, 0.35) / s;
  const gain = rng.range(0.8, 1.2);
  const grain = rng.range(2, 5);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const light = gain * (1 + slope * ((x - s / 2) * Math.cos(angle) + (y - s / 2) * Math.sin(angle)));
      const v = (img[y * s + x] as number) * light + grain * rng.normal();
      out[y * s + x] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
  return out;
}

/** Renders one part's surface of `cls`, `size` × `size` px. Deterministic in `rng`. */
export function renderPart(rng: Rng, size: number, cls: DefectClass): GrayImage {
  const img = surface(rng, size);
  if (cls !== 'ok') DRAW[cls](rng, size, img);
  return { width: size, height: size, data: expose(rng, size, img) };
}

/** The class of part number `index` of a seeded stream: a defect with probability `defectRate`, defects equally likely. */
export function partClass(
  seed: number | string,
  stream: string,
  index: number,
  defectRate: number,
): { cls: DefectClass; rng: Rng } {
  const rng = new Rng(seed, stream, 'part', String(index));
  const defects: DefectClass[] = ['scratch', 'pit', 'crack', 'stain'];
  const cls = rng.next() < defectRate ? rng.pick(defects) : 'ok';
  return { cls, rng };
}
