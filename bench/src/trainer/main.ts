import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { sharedDataDir, sourceCommand, tempDir } from '@takt/testing';
import { ratioOf, toMarkdown, type BenchReport, type BenchRow } from '../report.js';

// the real recordings live in shared/data beside the checkout (TAKT_DATA_DIR elsewhere)
const NAB = join(
  sharedDataDir() ?? '/nonexistent',
  'nab',
  'data',
  'realKnownCause',
  'machine_temperature_system_failure.csv',
);
const num = (name: string, fallback: number) => Number(process.env[`TAKT_BENCH_TRAINER_${name}`] ?? fallback);

interface Manifest {
  training: { samples: number; durationMs?: number; backend?: string };
  metrics: Record<string, number>;
}

/** Runs one of our programs from source as a real process; returns its wall time in ms. */
async function takt(project: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  const cmd = sourceCommand(project, args);
  const t0 = performance.now();
  await promisify(execFile)(cmd.command, cmd.args, {
    cwd: cmd.cwd,
    env: { ...process.env, TAKT_LOG_LEVEL: 'warn', ...env },
    maxBuffer: 16 << 20,
  });
  return performance.now() - t0;
}

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
const trainer = (args: string[], env?: Record<string, string>) => takt('apps/cloud-trainer', args, env);

async function kmeansRows(dir: string): Promise<BenchRow[]> {
  const lines = readFileSync(NAB, 'utf8').trimEnd().split('\n');
  const part = join(dir, 'nab-15.csv');
  writeFileSync(part, `${lines.slice(0, 1 + Math.floor((lines.length - 1) * 0.15)).join('\n')}\n`);
  const rows: BenchRow[] = [];
  for (const [what, csv] of [
    ['NAB first 15 %', part],
    ['NAB whole file', NAB],
  ] as const) {
    const out = join(dir, `km-${rows.length}`);
    await trainer(['anomaly', 'fit', '--csv', csv, '--time-column', 'timestamp', '--out', out]);
    const m = manifest(out);
    rows.push({
      metric: `K-means fit, ${what} (${m.training.samples} rows × 3 features, k=${m.metrics['k']})`,
      unit: 'ms',
      ours: m.training.durationMs ?? NaN,
      note: 'scaling, k 2..8 by silhouette × 5 restarts, ONNX export, threshold scored by onnxruntime',
    });
  }
  const scoreMs = await trainer([
    'anomaly',
    'score',
    '--model',
    join(dir, 'km-1'),
    '--csv',
    NAB,
    '--time-column',
    'timestamp',
    '--out',
    join(dir, 'scores.csv'),
  ]);
  rows.push({
    metric: `anomaly score, NAB whole file (${lines.length - 1} rows, process wall time)`,
    unit: 'rows/s',
    ours: (lines.length - 1) / (scoreMs / 1000),
    note: 'includes process start and CSV parsing',
  });
  return rows;
}

async function visionRows(dir: string): Promise<{ rows: BenchRow[]; backend: string }> {
  const images = join(dir, 'images');
  await takt('simulators/plant', [
    'images',
    '--count',
    String(num('IMAGES', 500)),
    '--size',
    '32',
    '--seed',
    '2',
    '--out',
    images,
  ]);
  const fit = (out: string, epochs: number, env?: Record<string, string>, extra: string[] = []) =>
    trainer(
      [
        'vision',
        'fit',
        '--images',
        images,
        '--labels',
        join(images, 'labels.csv'),
        '--size',
        '32',
        '--epochs',
        String(epochs),
        ...extra,
        '--out',
        out,
      ],
      env,
    );
  await fit(join(dir, 'v-fast'), 2, {}, ['--patience', '100']);
  await fit(join(dir, 'v-stock'), 1, { TAKT_TRAINER_TFJS_KERNELS: 'stock' });
  const fast = manifest(join(dir, 'v-fast'));
  const stock = manifest(join(dir, 'v-stock'));
  const perImage = (m: Manifest) => (m.metrics['epoch_ms_mean'] ?? NaN) / (m.metrics['train_samples'] ?? NaN);
  const rows: BenchRow[] = [
    {
      metric: `vision CNN epoch, 32×32, ${fast.metrics['train_samples']} images (augment + train + validate)`,
      unit: 'ms/image',
      ours: perImage(fast),
      peer: perImage(stock),
      peerName: 'tfjs stock CPU kernels',
      ratio: ratioOf(perImage(fast), perImage(stock)),
      note: `${Math.round(fast.metrics['epoch_ms_mean'] ?? 0)} ms per epoch`,
    },
  ];
  const epochs = num('EPOCHS', 0); // the full accuracy run takes ~3.5 min; the inference area reports the trained model's accuracy
  if (epochs > 0) {
    await fit(join(dir, 'v-acc'), epochs, {}, ['--patience', '12']);
    const acc = manifest(join(dir, 'v-acc'));
    const a = (k: string) => (acc.metrics[k] ?? NaN) * 100;
    rows.push(
      {
        metric: `vision val accuracy fp32 (onnxruntime), best of ${acc.metrics['epochs_run']} epochs`,
        unit: '%',
        ours: a('val_accuracy'),
        target: '>= 95 %',
      },
      {
        metric: 'vision val accuracy int8 (QDQ, onnxruntime)',
        unit: '%',
        ours: a('val_accuracy_int8'),
        peer: a('val_accuracy'),
        peerName: 'fp32',
        target: 'fp32 − 1 point',
      },
      { metric: 'vision fit wall time', unit: 's', ours: (acc.training.durationMs ?? NaN) / 1000 },
    );
  }
  return { rows, backend: fast.training.backend ?? '?' };
}

/** Training times (K-means, vision CNN per epoch) and accuracy of `takt-trainer`, run as real processes. */
export async function run(): Promise<BenchReport> {
  const dir = tempDir('bench-trainer-');
  try {
    const km = await kmeansRows(dir.path);
    const vision = await visionRows(dir.path);
    return {
      name: 'trainer',
      rows: [...km, ...vision.rows],
      notes: [
        `CNNs train on the tfjs backend "${vision.backend}" (@tensorflow/tfjs pure JS; @tensorflow/tfjs-node cannot be installed here); K-means is TypeScript, scored by onnxruntime-node CPU.`,
        'The peer is the same epoch with tfjs’s own CPU convolution kernels (TAKT_TRAINER_TFJS_KERNELS=stock) instead of the trainer’s flat-loop replacements.',
        'Shared 2-core machine: provisional numbers. TAKT_BENCH_TRAINER_IMAGES / _EPOCHS change the vision set size and the accuracy run (default 0 skips it; 60 with patience 12 is the acceptance run, ~3.5 min).',
        'Accuracy of a fully trained vision CNN (fp32 and int8, validation and held-out frames) is in the inference area: it trains with the same `takt-trainer vision fit` and caches the model.',
      ],
    };
  } finally {
    dir.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(toMarkdown(await run()));
