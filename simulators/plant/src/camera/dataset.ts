import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from '../errors.js';
import type { DefectClass } from '../plant/schema.js';
import { encodePng } from './png.js';
import { partClass, renderPart } from './render.js';

export interface DatasetOptions {
  /** number of images */
  count: number;
  /** width and height, px (32..256) */
  size: number;
  seed: number | string;
  /** output folder (created) */
  out: string;
  /** share of defective parts; default 0.8 (balanced: 20 % per class) */
  defectRate?: number;
}

/** Writes `count` labelled PNGs (`img-00000.png` …) and `labels.csv` (`file,label`); returns the labels. */
export function writeDataset(o: DatasetOptions): { file: string; label: DefectClass }[] {
  if (!Number.isInteger(o.count) || o.count < 1)
    throw new SimError('BAD_ARGUMENT', `--count must be a positive integer, got ${o.count}`, 'count');
  if (!Number.isInteger(o.size) || o.size < 32 || o.size > 256)
    throw new SimError('BAD_ARGUMENT', `--size must be an integer 32..256 px, got ${o.size}`, 'size');
  const rate = o.defectRate ?? 0.8;
  if (!(rate >= 0 && rate <= 1))
    throw new SimError('BAD_ARGUMENT', `--defect-rate must be 0..1, got ${rate}`, 'defectRate');
  mkdirSync(o.out, { recursive: true });
  const width = Math.max(5, String(o.count - 1).length);
  const rows: { file: string; label: DefectClass }[] = [];
  for (let i = 0; i < o.count; i++) {
    const { cls, rng } = partClass(o.seed, 'dataset', i, rate);
    const file = `img-${String(i).padStart(width, '0')}.png`;
    writeFileSync(join(o.out, file), encodePng(renderPart(rng, o.size, cls)));
    rows.push({ file, label: cls });
  }
  writeFileSync(
    join(o.out, 'labels.csv'),
    ['file,label', ...rows.map((r) => `${r.file},${r.label}`)].join('\n') + '\n',
  );
  return rows;
}
