import { fitFault } from '../fault/fit.js';
import { predictFault } from '../fault/predict.js';
import { TerminalProgress } from '../progress.js';
import { list, num, parse, required } from './args.js';

/** `takt-trainer fault fit --raw FILE.jsonl --truth FILE.csv [--window-ms MS] [--length N] [--sensors a,b] [--epochs N] [--val-split F] --out DIR` */
export async function faultFit(args: string[]): Promise<void> {
  const cmd = 'fault fit';
  const v = parse(cmd, args, {
    raw: { type: 'string' },
    truth: { type: 'string' },
    'window-ms': { type: 'string' },
    length: { type: 'string' },
    sensors: { type: 'string', multiple: true },
    epochs: { type: 'string' },
    'val-split': { type: 'string' },
    seed: { type: 'string' },
    name: { type: 'string' },
    out: { type: 'string' },
  });
  const out = required(cmd, v, 'out');
  const sensors = list(v, 'sensors');
  const { manifest, backend } = await fitFault({
    raw: required(cmd, v, 'raw'),
    truth: required(cmd, v, 'truth'),
    lengthMs: num(cmd, v, 'window-ms', 2000, 10, 3_600_000, true),
    length: num(cmd, v, 'length', 128, 16, 65_536, true),
    ...(sensors.length > 0 ? { sensors } : {}),
    epochs: num(cmd, v, 'epochs', 30, 1, 10_000, true),
    valSplit: num(cmd, v, 'val-split', 0.2, 0.01, 0.99),
    seed: num(cmd, v, 'seed', 1, 0, 2 ** 31, true),
    ...(typeof v['name'] === 'string' ? { name: v['name'] } : {}),
    out,
    progress: new TerminalProgress(),
    onBackend: (line) => console.error(line),
  });
  const m = manifest.metrics;
  console.log(
    `fault model written to ${out} (${backend}): classes ${manifest.classes?.join(',')}, val accuracy fp32 ${((m['val_accuracy'] ?? 0) * 100).toFixed(1)} %, int8 ${((m['val_accuracy_int8'] ?? 0) * 100).toFixed(1)} %`,
  );
}

/** `takt-trainer fault predict --model DIR [--int8] --raw FILE.jsonl --out FILE.csv` */
export async function faultPredict(args: string[]): Promise<void> {
  const cmd = 'fault predict';
  const v = parse(cmd, args, {
    model: { type: 'string' },
    int8: { type: 'boolean' },
    raw: { type: 'string' },
    out: { type: 'string' },
  });
  const out = required(cmd, v, 'out');
  const r = await predictFault({
    model: required(cmd, v, 'model'),
    int8: v['int8'] === true,
    raw: required(cmd, v, 'raw'),
    out,
    progress: new TerminalProgress(),
  });
  console.log(`${r.windows} windows classified to ${out}: ${JSON.stringify(r.counts)}`);
}
