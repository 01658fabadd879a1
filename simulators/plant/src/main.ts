#!/usr/bin/env node
import { exitCodeOf, SimError } from './errors.js';
import { parseCli, USAGE } from './cli/args.js';
import { checkCommand, imagesCommand, recordCommand, replayCommand, runCommand } from './cli/commands.js';

const COMMANDS: Record<string, (values: ReturnType<typeof parseCli>['values']) => void | Promise<void>> = {
  run: runCommand,
  record: recordCommand,
  images: imagesCommand,
  replay: replayCommand,
  check: checkCommand,
};

async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  const command = COMMANDS[cli.command];
  if (cli.values.help || cli.command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!command) throw new SimError('BAD_ARGUMENT', `unknown command ${JSON.stringify(cli.command)}\n\n${USAGE}`);
  await command(cli.values);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = err instanceof SimError ? ` [${err.code}]` : '';
    console.error(`takt-sim: error${code}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(exitCodeOf(err));
  },
);
