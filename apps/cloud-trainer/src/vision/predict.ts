import { writeFileSync } from 'node:fs';
import { TrainerError } from '../errors.js';
import { OnnxClassifier, topClass } from '../cnn/onnx-classifier.js';
import { readModelDir } from '../model-dir.js';
import type { ProgressReporter } from '../progress.js';
import { loadImages } from './dataset.js';

export interface VisionPredictOptions {
  model: string;
  /** run `model.int8.onnx` instead of `model.onnx` */
  int8?: boolean;
  images: string;
  /** output CSV: file,label,confidence */
  out: string;
  progress?: ProgressReporter;
}

/** `vision predict`: classifies every PNG/JPEG under `images` with the exported ONNX model. */
export async function predictVision(
  opts: VisionPredictOptions,
): Promise<{ images: number; counts: Record<string, number> }> {
  const { manifest, bytes } = readModelDir(opts.model, opts.int8 ? 'int8' : undefined);
  const [, size, width, ch] = manifest.input.shape;
  if (manifest.kind !== 'cnn-vision' || typeof size !== 'number' || size !== width || ch !== 1 || !manifest.classes) {
    throw new TrainerError('BAD_MODEL', `model in ${opts.model} is not a square grayscale cnn-vision model`);
  }
  const set = loadImages(opts.images, { size, progress: opts.progress });
  const clf = await OnnxClassifier.create(bytes);
  try {
    const classes = manifest.classes;
    const top = topClass(await clf.predict(set.pixels, [size, size, 1], classes.length), classes.length);
    const counts: Record<string, number> = {};
    const lines = ['file,label,confidence'];
    set.files.forEach((file, i) => {
      const label = classes[top.index[i] as number] as string;
      counts[label] = (counts[label] ?? 0) + 1;
      lines.push(
        `${/[",\n]/.test(file) ? `"${file.replace(/"/g, '""')}"` : file},${label},${(top.confidence[i] as number).toFixed(4)}`,
      );
    });
    writeFileSync(opts.out, `${lines.join('\n')}\n`);
    return { images: set.files.length, counts };
  } finally {
    await clf.close();
  }
}
