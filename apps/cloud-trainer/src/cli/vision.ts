import { TerminalProgress } from '../progress.js';
import { fitVision } from '../vision/fit.js';
import { predictVision } from '../vision/predict.js';
import { num, parse, required } from './args.js';

/** `takt-trainer vision fit --images DIR --labels FILE.csv --size S [--epochs N] [--val-split F] --out DIR` */
export async function visionFit(args: string[]): Promise<void> {
  const cmd = 'vision fit';
  const v = parse(cmd, args, {
    images: { type: 'string' },
    labels: { type: 'string' },
    size: { type: 'string' },
    epochs: { type: 'string' },
    'val-split': { type: 'string' },
    patience: { type: 'string' },
    seed: { type: 'string' },
    name: { type: 'string' },
    out: { type: 'string' },
  });
  const out = required(cmd, v, 'out');
  const { manifest, backend } = await fitVision({
    images: required(cmd, v, 'images'),
    labels: required(cmd, v, 'labels'),
    size: num(cmd, v, 'size', NaN, 4, 512, true),
    epochs: num(cmd, v, 'epochs', 40, 1, 10_000, true),
    valSplit: num(cmd, v, 'val-split', 0.2, 0.01, 0.99),
    patience: num(cmd, v, 'patience', 6, 1, 1000, true),
    seed: num(cmd, v, 'seed', 1, 0, 2 ** 31, true),
    ...(typeof v['name'] === 'string' ? { name: v['name'] } : {}),
    out,
    progress: new TerminalProgress(),
    onBackend: (line) => console.error(line),
  });
  const m = manifest.metrics;
  console.log(
    `vision model written to ${out} (${backend}): val accuracy fp32 ${((m['val_accuracy'] ?? 0) * 100).toFixed(1)} %, int8 ${((m['val_accuracy_int8'] ?? 0) * 100).toFixed(1)} %, best epoch ${m['best_epoch']}, ${Math.round(m['epoch_ms_mean'] ?? 0)} ms/epoch`,
  );
}

/** `takt-trainer vision predict --model DIR [--int8] --images DIR --out FILE.csv` */
export async function visionPredict(args: string[]): Promise<void> {
  const cmd = 'vision predict';
  const v = parse(cmd, args, { model: { type: 'string' }, int8: { type: 'boolean' }, images: { type: 'string' }, out: { type: 'string' } });
  const out = required(cmd, v, 'out');
  const r = await predictVision({ model: required(cmd, v, 'model'), int8: v['int8'] === true, images: required(cmd, v, 'images'), out, progress: new TerminalProgress() });
  console.log(`${r.images} images classified to ${out}: ${JSON.stringify(r.counts)}`);
}
