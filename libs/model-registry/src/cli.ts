#!/usr/bin/env node
import { runMain, subcommandUsage } from '@takt/runtime';
import { runCommand, USAGE } from './cli-commands.js';

/** `takt-registry`: exit 0 on success, 1 with the refusal's code when refused, 2 on usage errors. */
await runMain({
  name: 'takt-registry',
  packageJson: new URL('../package.json', import.meta.url),
  usage: (argv) => subcommandUsage(USAGE, 'takt-registry', argv),
  run: async (argv) => {
    process.stdout.write(await runCommand(argv));
  },
});
