import { readFileSync } from 'node:fs';
import { CodedError } from '@takt/contracts';
import { ConfigError } from './config.js';

/** A wrong command line: unknown command, missing or malformed option. Exits 2. */
export class UsageError extends CodedError<'USAGE'> {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
}

/** Exit statuses every Takt program uses. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export interface MainOptions {
  /** the program's name as typed, e.g. `takt-edge`; starts every line it writes on failure */
  name: string;
  /** `package.json` of the program's package (`new URL('../package.json', import.meta.url)`): `--version` reads it */
  packageJson: URL;
  /**
   * What `--help` prints on stdout. A function gets the arguments before `--help`, so a program with
   * subcommands can show the one asked about (`takt-trainer anomaly fit --help`).
   */
  usage: string | ((argv: string[]) => string);
  /**
   * The program. Resolves when it is done (a server resolves once it listens; its handles keep the
   * process alive); a number it returns is the exit status. Throws to fail.
   */
  run: (argv: string[]) => Promise<void | number> | void | number;
  /** exit status for a program's own errors (e.g. 3 for a broker it cannot reach); undefined → the default rules */
  exitCode?: (err: unknown) => number | undefined;
}

/** `parseArgs` from node:util throws these for a command line it refuses. */
const PARSE_ARGS_CODES = new Set([
  'ERR_PARSE_ARGS_UNKNOWN_OPTION',
  'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
  'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
]);

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A wrong command line: a `UsageError`, or an option `parseArgs` refused. */
const isCommandLineError = (err: unknown) => err instanceof UsageError || PARSE_ARGS_CODES.has(codeOf(err) ?? '');

/** 2 for usage and configuration errors, 1 for anything else, unless the program says otherwise. */
export function exitCodeFor(err: unknown, own?: (err: unknown) => number | undefined): number {
  const mine = own?.(err);
  if (mine !== undefined) return mine;
  return err instanceof ConfigError || isCommandLineError(err) ? EXIT.usage : EXIT.failure;
}

/** The one line a failed program writes on stderr: `takt-x: error [CODE]: message`. */
export function failureLine(name: string, err: unknown): string {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return `${name}: error${code ? ` [${code}]` : ''}: ${message}`;
}

/** The `version` field of a package.json. */
export function packageVersion(packageJson: URL): string {
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown };
  return typeof version === 'string' ? version : '0.0.0';
}

/**
 * The part of a usage text about one subcommand: the lines that start with it (after the program's
 * name, if the text repeats it) and the more-indented lines under them. `words` are the arguments
 * before `--help`; its leading words name the subcommand. The whole text when nothing matches.
 */
export function subcommandUsage(usage: string, name: string, words: string[]): string {
  const firstFlag = words.findIndex((w) => w.startsWith('-'));
  const positionals = firstFlag < 0 ? words : words.slice(0, firstFlag);
  // the longest run of leading words that names an entry: `anomaly fit`, else `anomaly`
  for (let n = Math.min(positionals.length, 2); n > 0; n--) {
    const found = usageEntries(usage, name, positionals.slice(0, n).join(' '));
    if (found.length > 0) return `usage:\n${found.join('\n')}`;
  }
  return usage;
}

function usageEntries(usage: string, name: string, command: string): string[] {
  const indent = (l: string) => l.length - l.trimStart().length;
  const out: string[] = [];
  let entryIndent = -1;
  for (const line of usage.split('\n')) {
    const trimmed = line.trim();
    const text = trimmed.startsWith(`${name} `) ? trimmed.slice(name.length + 1) : trimmed;
    if (text === command || text.startsWith(`${command} `)) {
      out.push(line);
      entryIndent = indent(line);
    } else if (entryIndent >= 0 && trimmed !== '' && indent(line) > entryIndent) out.push(line);
    else entryIndent = -1;
  }
  return out;
}

/** Arguments before the first `--`: flags after it belong to the program's operands. */
const flags = (argv: string[]) => {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
};

/**
 * The one way a Takt program starts: `--help`/`-h` prints usage on stdout and exits 0, `--version`
 * prints the package version and exits 0; otherwise `run` runs. A failure writes one line on stderr
 * (`failureLine`; the stack too when `TAKT_LOG_LEVEL` is debug or trace) and exits at once — 2 for
 * usage and configuration errors, 1 for runtime failures, or what `exitCode` says. Exiting at once
 * matters for servers that failed half-way: open connections would otherwise keep a dead program alive.
 */
export async function runMain(options: MainOptions, argv: string[] = process.argv.slice(2)): Promise<void> {
  const own = flags(argv);
  if (own.includes('--version')) {
    process.stdout.write(`${options.name} ${packageVersion(options.packageJson)}\n`);
    return;
  }
  const help = own.findIndex((a) => a === '--help' || a === '-h');
  if (help >= 0) {
    const usage = typeof options.usage === 'string' ? options.usage : options.usage(own.slice(0, help));
    process.stdout.write(`${usage.trimEnd()}\n`);
    return;
  }
  try {
    const code = await options.run(argv);
    if (typeof code === 'number' && code !== 0) process.exit(code);
  } catch (err) {
    const status = exitCodeFor(err, options.exitCode);
    const level = process.env['TAKT_LOG_LEVEL'];
    const stack = (level === 'debug' || level === 'trace') && err instanceof Error && err.stack ? `\n${err.stack}` : '';
    const hint = isCommandLineError(err) ? ` (${options.name} --help shows usage)` : '';
    process.stderr.write(`${failureLine(options.name, err)}${hint}${stack}\n`);
    process.exit(status);
  }
}
