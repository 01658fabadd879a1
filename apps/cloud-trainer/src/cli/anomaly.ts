import { TrainerError } from '../errors.js';
import { fitCsvAnomaly, scoreCsvAnomaly } from '../anomaly/csv-model.js';
import { TerminalProgress } from '../progress.js';
import { DEFAULT_ROLLING_WINDOW } from '../anomaly/csv-model.js';
import { DETECTORS } from '../anomaly/subspace/detector.js';
import { list, num, oneOf, oneOfList, parse, required } from './args.js';

const csvOptions = {
  csv: { type: 'string', multiple: true },
  'time-column': { type: 'string' },
  delimiter: { type: 'string' },
  'exclude-columns': { type: 'string', multiple: true },
  out: { type: 'string' },
} as const;

const warn = (m: string) => console.error(`warning: ${m}`);

/** `takt-trainer anomaly fit --csv FILE [--csv FILE ...] --time-column COL [--delimiter ';'] [--exclude-columns a,b] --out DIR` */
export async function anomalyFit(args: string[]): Promise<void> {
  const cmd = 'anomaly fit';
  const v = parse(cmd, args, {
    ...csvOptions,
    'rolling-window': { type: 'string' },
    'rolling-stats': { type: 'string' },
    detector: { type: 'string' },
    'false-alarm-rate': { type: 'string' },
    seed: { type: 'string' },
  });
  const csv = list(v, 'csv');
  const out = required(cmd, v, 'out');
  const manifest = await fitCsvAnomaly({
    csv: csv.length > 0 ? csv : [required(cmd, v, 'csv')],
    timeColumn: required(cmd, v, 'time-column'),
    delimiter: typeof v['delimiter'] === 'string' ? v['delimiter'] : ',',
    excludeColumns: list(v, 'exclude-columns'),
    out,
    rollingWindow: num(cmd, v, 'rolling-window', DEFAULT_ROLLING_WINDOW, 1, 10_000, true),
    rollingStats: oneOfList(cmd, v, 'rolling-stats', ['mean', 'std'], ['mean']),
    fit: {
      detector: oneOf(cmd, v, 'detector', [...DETECTORS, 'auto' as const], 'kmeans'),
      targetFalseAlarmRate: num(cmd, v, 'false-alarm-rate', 0.001, 1e-6, 0.09),
      seed: num(cmd, v, 'seed', 1, 0, 2 ** 31, true),
    },
    progress: new TerminalProgress(),
    onWarning: warn,
  });
  const m = manifest.metrics;
  const shape = manifest.detector === 'pca' ? 'PCA (T² + SPE)' : `k-means k=${m['k']} (T² + SPE)`;
  console.log(
    `anomaly model written to ${out}: ${shape} in ${m['components']} principal components of ${manifest.input.featureNames?.length} features, ` +
      `threshold ${manifest.threshold?.toFixed(4)} (${manifest.training.samples} rows, ${manifest.training.durationMs} ms)`,
  );
}

/** `takt-trainer anomaly score --model DIR --csv FILE --time-column COL [--delimiter ';'] [--exclude-columns a,b] --out FILE.csv` */
export async function anomalyScore(args: string[]): Promise<void> {
  const cmd = 'anomaly score';
  const v = parse(cmd, args, { ...csvOptions, model: { type: 'string' } });
  const csv = list(v, 'csv');
  if (csv.length !== 1)
    throw new TrainerError('BAD_ARGUMENT', `${cmd}: exactly one --csv FILE is scored, got ${csv.length}`);
  const out = required(cmd, v, 'out');
  const summary = await scoreCsvAnomaly({
    model: required(cmd, v, 'model'),
    csv: csv[0] as string,
    timeColumn: required(cmd, v, 'time-column'),
    delimiter: typeof v['delimiter'] === 'string' ? v['delimiter'] : ',',
    excludeColumns: list(v, 'exclude-columns'),
    out,
    progress: new TerminalProgress(),
    onWarning: warn,
  });
  console.log(
    `${summary.rows} rows scored to ${out}: ${summary.events.length} anomaly events, ${summary.anomalousRows} anomalous rows`,
  );
}
