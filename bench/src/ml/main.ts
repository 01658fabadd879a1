import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sharedDataDir, tempDir } from '@takt/testing';
import { toMarkdown, type BenchReport } from '../report.js';
import { nabRows, nabThroughCli } from './nab.js';
import { tepBaseline, tepRows, tepThroughCli } from './tep.js';
import { benchVision } from './vision.js';

/**
 * Model quality on real recorded data, through the CLI a user runs with its defaults: anomaly
 * detection on the Tennessee Eastman process and NAB, defect classification on the magnetic tiles
 * (`vision.ts`; TAKT_BENCH_ML_VISION=0 skips its ~15-minute training); each figure next to the
 * naive baseline measured in the same run.
 */
export async function run(): Promise<BenchReport> {
  const data = sharedDataDir();
  if (!data) throw new Error('no shared/data beside the checkout (set TAKT_DATA_DIR)');
  const work = tempDir('bench-ml-');
  try {
    const tep = await tepThroughCli(join(data, 'tep'), work.path);
    const base = tepBaseline(join(data, 'tep'));
    const pca = await tepThroughCli(join(data, 'tep'), work.path, ['--detector', 'pca']);
    const nab = await nabThroughCli(join(data, 'nab'), work.path);
    const vision = process.env['TAKT_BENCH_ML_VISION'] === '0' ? undefined : await benchVision();
    return {
      name: 'ml',
      rows: [...tepRows(tep, base), ...tepRows(pca, base, '--detector pca'), ...nabRows(nab), ...(vision?.rows ?? [])],
      notes: [
        ...(vision?.notes ?? ['vision skipped (TAKT_BENCH_ML_VISION=0)']),
        'TEP: fit on train_normal.csv (500 rows), score test_normal.csv and the 21 fault files (onset after row 160); a row counts as flagged while an anomaly event is open (the `anomaly` column of `anomaly score`). Detection per fault: ours (baseline).',
        'Baseline: PCA on standardised rows, 90 % of the variance, T² and SPE at their 99th percentile on the training rows, no smoothing — the textbook monitor; an independent implementation (power iteration) in bench/src/ml/pca-baseline.ts.',
        'NAB: each series with labelled windows, fitted on its first 15 % (NAB’s probationary period, which for machine_temperature contains the first window) and scored whole; an alarm event is a run of flagged rows.',
      ],
    };
  } finally {
    work.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(toMarkdown(await run()));
