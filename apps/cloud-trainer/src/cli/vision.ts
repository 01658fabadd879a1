import { TerminalProgress } from '../progress.js';
import { fitVision, VISION_FIT_DEFAULTS } from '../vision/fit.js';
import { formatEvaluation } from '../vision/report.js';
import { predictVision } from '../vision/predict.js';
import { num, parse, required } from './args.js';

/** `takt-trainer vision fit --images DIR --labels FILE.csv [--size S] [--epochs N] [--holdout F] [--val-split F] [--good-class L] --out DIR` */
export async function visionFit(args: string[]): Promise<void> {
  const cmd = 'vision fit';
  const d = VISION_FIT_DEFAULTS;
  const v = parse(cmd, args, {
    images: { type: 'string' },
    labels: { type: 'string' },
    size: { type: 'string' },
    epochs: { type: 'string' },
    holdout: { type: 'string' },
    'val-split': { type: 'string' },
    patience: { type: 'string' },
    'good-class': { type: 'string' },
    seed: { type: 'string' },
    name: { type: 'string' },
    out: { type: 'string' },
  });
  const out = required(cmd, v, 'out');
  const { manifest, backend, evaluation, testSamples } = await fitVision({
    images: required(cmd, v, 'images'),
    labels: required(cmd, v, 'labels'),
    size: num(cmd, v, 'size', d.size, 4, 512, true),
    epochs: num(cmd, v, 'epochs', d.epochs, 1, 10_000, true),
    holdout: num(cmd, v, 'holdout', d.holdout, 0.01, 0.99),
    valSplit: num(cmd, v, 'val-split', d.valSplit, 0.01, 0.99),
    patience: num(cmd, v, 'patience', d.patience, 1, 1000, true),
    seed: num(cmd, v, 'seed', d.seed, 0, 2 ** 31, true),
    ...(typeof v['good-class'] === 'string' ? { goodClass: v['good-class'] } : {}),
    ...(typeof v['name'] === 'string' ? { name: v['name'] } : {}),
    out,
    progress: new TerminalProgress(),
    onBackend: (line) => console.error(line),
  });
  const m = manifest.metrics;
  const minutes = ((manifest.training.durationMs ?? 0) / 60_000).toFixed(1);
  console.log(
    `vision model written to ${out} (${backend}, ${manifest.input.shape[1]} px): best epoch ${m['best_epoch']} of ${m['epochs_run']}, ${((m['epoch_ms_mean'] ?? 0) / 1000).toFixed(1)} s/epoch, ${minutes} min in all`,
  );
  console.log(formatEvaluation(evaluation, testSamples));
}

/** `takt-trainer vision predict --model DIR [--int8] --images DIR --out FILE.csv` */
export async function visionPredict(args: string[]): Promise<void> {
  const cmd = 'vision predict';
  const v = parse(cmd, args, {
    model: { type: 'string' },
    int8: { type: 'boolean' },
    images: { type: 'string' },
    out: { type: 'string' },
  });
  const out = required(cmd, v, 'out');
  const r = await predictVision({
    model: required(cmd, v, 'model'),
    int8: v['int8'] === true,
    images: required(cmd, v, 'images'),
    out,
    progress: new TerminalProgress(),
  });
  console.log(`${r.images} images classified to ${out}: ${JSON.stringify(r.counts)}`);
}
