import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SimError } from '../errors.js';

export const USAGE = `takt-sim — simulated plant for Takt

  takt-sim run     --plant FILE --broker URL [--username U --password P] [--seed N] [--duration S]
                   [--speed X] [--start MS] [--truth FILE] [--stats FILE] [--validate-all]
                   [--serve opcua,modbus [--serve-host H] [--opcua-port N] [--modbus-port N] [--serve-map FILE]]
  takt-sim record  --plant FILE --seed N --duration S --out DIR [--start MS] [--validate-all]
  takt-sim images  --count N --size S --seed K --out DIR [--defect-rate R]
  takt-sim replay  --csv FILE --time-column COL --device ID --broker URL [--username U --password P]
                   [--delimiter ';'] [--speed X] [--site S] [--line L] [--columns a,b]
                   [--timestamps scaled|original] [--qos 0|1]
  takt-sim check   --plant FILE

The password may come from TAKT_SIM_PASSWORD instead of --password.
Exit status: 0 done, 1 unexpected failure, 2 bad input, 3 broker refused or unreachable.`;

const OPTIONS = {
  plant: { type: 'string' },
  broker: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'client-id': { type: 'string' },
  seed: { type: 'string' },
  duration: { type: 'string' },
  speed: { type: 'string' },
  start: { type: 'string' },
  truth: { type: 'string' },
  stats: { type: 'string' },
  'validate-all': { type: 'boolean' },
  out: { type: 'string' },
  count: { type: 'string' },
  size: { type: 'string' },
  'defect-rate': { type: 'string' },
  csv: { type: 'string' },
  'time-column': { type: 'string' },
  delimiter: { type: 'string' },
  device: { type: 'string' },
  site: { type: 'string' },
  line: { type: 'string' },
  columns: { type: 'string' },
  timestamps: { type: 'string' },
  qos: { type: 'string' },
  serve: { type: 'string' },
  'serve-host': { type: 'string' },
  'opcua-port': { type: 'string' },
  'modbus-port': { type: 'string' },
  'serve-map': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export type CliValues = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

export interface Cli {
  command: string;
  values: CliValues;
}

/** Splits argv into a command and its options; unknown options throw `SimError('BAD_ARGUMENT')`. */
export function parseCli(argv: string[]): Cli {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { command: positionals[0] ?? 'help', values: values as CliValues };
  } catch (err) {
    throw new SimError('BAD_ARGUMENT', (err as Error).message);
  }
}

/** A required option, or a `SimError` naming it. */
export function required(values: CliValues, name: keyof CliValues): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new SimError('BAD_ARGUMENT', `--${name} is required`, name);
  return v;
}

/** A number option within [min, max]; `undefined` when absent. */
export function numberOption(
  values: CliValues,
  name: keyof CliValues,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new SimError(
      'BAD_ARGUMENT',
      `--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`,
      name,
    );
  }
  return n;
}

/** `--seed`: an integer (default 1). */
export function seedOption(values: CliValues): number {
  const n = numberOption(values, 'seed', 0, 2 ** 53) ?? 1;
  if (!Number.isInteger(n)) throw new SimError('BAD_ARGUMENT', `--seed must be an integer, got ${values.seed}`, 'seed');
  return n;
}
