#!/usr/bin/env node
import { runMain, subcommandUsage, UsageError } from '@takt/runtime';
import { exitCodeOf, SimError } from './errors.js';
import { parseCli, USAGE, type CliValues } from './cli/args.js';

type Command = (values: CliValues) => void | Promise<void>;

/** Loaded once the command line parsed: `--help` and bad input answer without loading the OPC UA server. */
const command =
  (name: 'runCommand' | 'recordCommand' | 'imagesCommand' | 'replayCommand' | 'checkCommand'): Command =>
  async (values) =>
    (await import('./cli/commands.js'))[name](values);

const COMMANDS: Record<string, Command> = {
  run: command('runCommand'),
  record: command('recordCommand'),
  images: command('imagesCommand'),
  replay: command('replayCommand'),
  check: command('checkCommand'),
};

async function main(argv: string[]): Promise<void> {
  const cli = parseCli(argv);
  if (cli.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const run = COMMANDS[cli.command];
  if (!run) throw new UsageError(`unknown command ${JSON.stringify(cli.command)}`);
  await run(cli.values);
}

await runMain({
  name: 'takt-sim',
  packageJson: new URL('../package.json', import.meta.url),
  usage: (argv) => subcommandUsage(USAGE, 'takt-sim', argv),
  run: main,
  // 2 bad input, 3 broker refused or unreachable
  exitCode: (err) => (err instanceof SimError ? exitCodeOf(err) : undefined),
});
