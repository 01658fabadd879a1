import { TrainerError } from '../errors.js';
import { anomalyFit, anomalyScore } from './anomaly.js';

type Command = (args: string[]) => Promise<void>;

const USAGE = `usage: takt-trainer <command>
  anomaly fit   --csv FILE [--csv FILE ...] --time-column COL [--delimiter ';'] [--exclude-columns a,b] --out DIR
  anomaly score --model DIR --csv FILE --time-column COL [--delimiter ';'] [--exclude-columns a,b] --out FILE.csv
  vision fit     --images DIR --labels FILE.csv --size S [--epochs N] [--val-split F] --out DIR
  vision predict --model DIR [--int8] --images DIR --out FILE.csv
  fault fit      --raw FILE.jsonl --truth FILE.csv [--window-ms MS] [--length N] [--epochs N] [--val-split F] --out DIR
  fault predict  --model DIR [--int8] --raw FILE.jsonl --out FILE.csv
  serve --config FILE`;

/** Loaded lazily so `anomaly` never pays for loading TensorFlow.js. */
const commands: Record<string, () => Promise<Command>> = {
  'anomaly fit': async () => anomalyFit,
  'anomaly score': async () => anomalyScore,
  'vision fit': async () => (await import('./vision.js')).visionFit,
  'vision predict': async () => (await import('./vision.js')).visionPredict,
  'fault fit': async () => (await import('./fault.js')).faultFit,
  'fault predict': async () => (await import('./fault.js')).faultPredict,
  serve: async () => (await import('../service/cli.js')).serveCommand,
};

/** Runs one command; returns the exit code: 0 ok, 2 bad input (a `TrainerError`, cause named), 1 anything else. */
export async function runCli(argv: string[]): Promise<number> {
  const key = argv[0] === 'serve' ? 'serve' : `${argv[0] ?? ''} ${argv[1] ?? ''}`;
  const load = commands[key];
  if (!load) {
    console.error(argv.length === 0 || argv[0] === '--help' ? USAGE : `unknown command "${argv.slice(0, 2).join(' ')}"\n${USAGE}`);
    return argv[0] === '--help' ? 0 : 2;
  }
  try {
    await (await load())(argv.slice(key === 'serve' ? 1 : 2));
    return 0;
  } catch (err) {
    if (err instanceof TrainerError) {
      console.error(`takt-trainer ${key}: ${err.code}: ${err.message}`);
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    console.error(`takt-trainer ${key}: ${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
