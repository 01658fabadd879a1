import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { TrainerError } from '../errors.js';
import { readCsv } from '../csv/parse.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { decodeImage, resizeToUnit } from './images.js';

/** Images resized to size×size, values 0..1, one after another. */
export interface ImageSet {
  size: number;
  files: string[];
  /** N·size·size */
  pixels: Float32Array;
}

export interface LabelledImageSet extends ImageSet {
  /** class names, sorted */
  classes: string[];
  /** class index of each image */
  labels: Int32Array;
}

export interface LoadImagesOptions {
  /** images are resized to size×size; 4..512 */
  size: number;
  /** fewest images any class may have; default 5 (enough for a training and a validation share) */
  minPerClass?: number;
  progress?: ProgressReporter;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** Rows of a `file,label` CSV (as `takt-sim dataset` writes it), labels checked; files as written. */
export function readLabels(labelsFile: string): { file: string; label: string; line: number }[] {
  const table = readCsv(labelsFile);
  const fi = table.header.indexOf('file');
  const li = table.header.indexOf('label');
  if (fi < 0 || li < 0)
    throw new TrainerError(
      'BAD_LABELS',
      `labels file ${labelsFile} must have columns file,label (has ${table.header.join(', ')})`,
    );
  return table.rows.map((r, i) => {
    const label = (r[li] ?? '').trim();
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(label))
      throw new TrainerError(
        'BAD_LABELS',
        `labels file ${labelsFile} line ${table.lines[i]}: label ${JSON.stringify(label)} must match [A-Za-z0-9_.:-]{1,64}`,
      );
    return { file: (r[fi] ?? '').trim(), label, line: table.lines[i] as number };
  });
}

function loadPixels(dir: string, files: string[], size: number, progress: ProgressReporter): Float32Array {
  const pixels = new Float32Array(files.length * size * size);
  const phase = progress.phase('images read', files.length);
  files.forEach((file, i) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, file));
    } catch (err) {
      throw new TrainerError('UNREADABLE_IMAGE', `image ${file} cannot be read: ${(err as Error).message}`);
    }
    pixels.set(resizeToUnit(decodeImage(bytes, file), size), i * size * size);
    phase.tick();
  });
  phase.done();
  return pixels;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 4 || size > 512)
    throw new TrainerError('BAD_ARGUMENT', `--size must be an integer in 4..512, got ${size}`);
}

/**
 * Reads `labels.csv` (`file,label`, files relative to `dir`) and every image it names. Fails before
 * training on a missing image, an unreadable one, or a class with fewer than `minPerClass` images.
 */
export function loadLabelledImages(dir: string, labelsFile: string, options: LoadImagesOptions): LabelledImageSet {
  checkSize(options.size);
  const entries = readLabels(labelsFile);
  const root = resolve(dir);
  for (const e of entries) {
    const rel = relative(root, resolve(root, e.file));
    if (e.file === '' || rel.startsWith('..'))
      throw new TrainerError(
        'BAD_LABELS',
        `labels file ${labelsFile} line ${e.line}: file ${JSON.stringify(e.file)} is outside ${dir}`,
      );
    e.file = rel;
  }
  const present = new Set(listImages(dir));
  const missing = entries.find((e) => !present.has(e.file));
  if (missing)
    throw new TrainerError(
      'MISSING_IMAGE',
      `labels file ${labelsFile} line ${missing.line} names ${missing.file}, which is not in ${dir}`,
    );
  const classes = [...new Set(entries.map((e) => e.label))].sort();
  if (classes.length < 2)
    throw new TrainerError(
      'BAD_LABELS',
      `labels file ${labelsFile} has ${classes.length} class(es); a classifier needs at least 2`,
    );
  const minPerClass = options.minPerClass ?? 5;
  for (const c of classes) {
    const n = entries.filter((e) => e.label === c).length;
    if (n < minPerClass)
      throw new TrainerError(
        'TOO_FEW_IMAGES',
        `class "${c}" has ${n} image(s); at least ${minPerClass} are needed to train and validate it`,
      );
  }
  const files = entries.map((e) => e.file);
  const pixels = loadPixels(dir, files, options.size, options.progress ?? silentProgress);
  return {
    size: options.size,
    files,
    pixels,
    classes,
    labels: Int32Array.from(entries, (e) => classes.indexOf(e.label)),
  };
}

/** Every PNG/JPEG under `dir` (recursively), relative paths, sorted. */
export function listImages(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (err) {
    throw new TrainerError('NOT_FOUND', `cannot read image folder ${dir}: ${(err as Error).message}`);
  }
  return names.filter((n) => IMAGE_FILE.test(n)).sort();
}

/** Reads every image under `dir` for prediction. */
export function loadImages(dir: string, options: LoadImagesOptions): ImageSet {
  checkSize(options.size);
  const files = listImages(dir);
  if (files.length === 0) throw new TrainerError('EMPTY_INPUT', `no PNG or JPEG images in ${dir}`);
  return {
    size: options.size,
    files,
    pixels: loadPixels(dir, files, options.size, options.progress ?? silentProgress),
  };
}
