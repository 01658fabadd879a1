import { writeFileSync } from 'node:fs';
import { TrainerError } from '../errors.js';
import { OnnxClassifier, topClass } from '../cnn/onnx-classifier.js';
import { readModelDir } from '../model-dir.js';
import type { ProgressReporter } from '../progress.js';
import { rawWindows } from './windows.js';

export interface FaultPredictOptions {
  model: string;
  int8?: boolean;
  raw: string;
  /** output CSV: device,start,end,label,confidence */
  out: string;
  progress?: ProgressReporter;
}

/** `fault predict`: classifies every window of a raw recording with the exported 1-D CNN. */
export async function predictFault(
  opts: FaultPredictOptions,
): Promise<{ windows: number; counts: Record<string, number> }> {
  const { manifest, bytes } = readModelDir(opts.model, opts.int8 ? 'int8' : undefined);
  const w = manifest.input.window;
  const [, length, channels] = manifest.input.shape;
  if (
    manifest.kind !== 'cnn-fault' ||
    !w ||
    typeof length !== 'number' ||
    channels !== w.sensors.length ||
    !manifest.classes
  ) {
    throw new TrainerError('BAD_MODEL', `model in ${opts.model} is not a cnn-fault model with a window spec`);
  }
  const raw = await rawWindows(
    opts.raw,
    { lengthMs: w.lengthMs, hopMs: w.hopMs, length, sensors: w.sensors },
    opts.progress,
  );
  const clf = await OnnxClassifier.create(bytes);
  try {
    const classes = manifest.classes;
    const top = topClass(await clf.predict(raw.x, [length, w.sensors.length], classes.length), classes.length);
    const counts: Record<string, number> = {};
    const lines = ['device,start,end,label,confidence'];
    raw.windows.forEach((win, i) => {
      const label = classes[top.index[i] as number] as string;
      counts[label] = (counts[label] ?? 0) + 1;
      lines.push(`${win.deviceId},${win.start},${win.end},${label},${(top.confidence[i] as number).toFixed(4)}`);
    });
    writeFileSync(opts.out, `${lines.join('\n')}\n`);
    return { windows: raw.windows.length, counts };
  } finally {
    await clf.close();
  }
}
