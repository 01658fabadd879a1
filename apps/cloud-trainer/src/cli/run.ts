import { EXIT, exitCodeFor, failureLine, subcommandUsage, UsageError } from '@takt/runtime';
import { TrainerError } from '../errors.js';

type Command = (args: string[]) => Promise<void>;

const USAGE = `usage: takt-trainer <command>
  anomaly fit   --csv FILE [--csv FILE ...] --time-column COL [--delimiter ';'] [--exclude-columns a,b] --out DIR
  anomaly score --model DIR --csv FILE --time-column COL [--delimiter ';'] [--exclude-columns a,b] --out FILE.csv
  vision fit     --images DIR --labels FILE.csv --size S [--epochs N] [--val-split F] --out DIR
  vision predict --model DIR [--int8] --images DIR --out FILE.csv
  fault fit      --raw FILE.jsonl --truth FILE.csv [--window-ms MS] [--length N] [--epochs N] [--val-split F] --out DIR
  fault predict  --model DIR [--int8] --raw FILE.jsonl --out FILE.csv
  evidence upload --images DIR --labels FILE.csv [--set ID] [--by NAME] [--batch-mib N] --url URL --token TOKEN
  serve --config FILE`;

/** Loaded lazily: `anomaly` never pays for loading TensorFlow.js, `--help` and bad input for neither. */
const commands: Record<string, () => Promise<Command>> = {
  'anomaly fit': async () => (await import('./anomaly.js')).anomalyFit,
  'anomaly score': async () => (await import('./anomaly.js')).anomalyScore,
  'vision fit': async () => (await import('./vision.js')).visionFit,
  'vision predict': async () => (await import('./vision.js')).visionPredict,
  'fault fit': async () => (await import('./fault.js')).faultFit,
  'fault predict': async () => (await import('./fault.js')).faultPredict,
  'evidence upload': async () => (await import('./evidence.js')).evidenceUpload,
  serve: async () => (await import('../service/cli.js')).serveCommand,
};

/** The command `argv` names: `serve`, or two words (`anomaly fit`). */
const commandKey = (argv: string[]) => (argv[0] === 'serve' ? 'serve' : `${argv[0] ?? ''} ${argv[1] ?? ''}`);

/**
 * Runs one command; throws `UsageError` for an unknown one and whatever the command throws (a
 * `TrainerError` is bad input).
 */
export async function runTrainerCommand(argv: string[]): Promise<void> {
  const key = commandKey(argv);
  const load = commands[key];
  if (!load) {
    throw new UsageError(
      argv.length === 0 ? 'a command is required' : `unknown command "${argv.slice(0, 2).join(' ')}"`,
    );
  }
  await (
    await load()
  )(argv.slice(key === 'serve' ? 1 : 2));
}

const exitCode = (err: unknown) => (err instanceof TrainerError ? EXIT.usage : undefined);

/** `takt-trainer` as `runMain` runs it: exit 2 for bad input (a `TrainerError`), per-command `--help`. */
export const trainerProgram = {
  name: 'takt-trainer',
  usage: (argv: string[]) => subcommandUsage(USAGE, 'takt-trainer', argv),
  run: runTrainerCommand,
  exitCode,
};

/**
 * Runs one command in this process (tests); returns the exit status `takt-trainer` would exit with,
 * the failure line on stderr.
 */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await runTrainerCommand(argv);
    return EXIT.ok;
  } catch (err) {
    console.error(failureLine('takt-trainer', err));
    return exitCodeFor(err, exitCode);
  }
}
