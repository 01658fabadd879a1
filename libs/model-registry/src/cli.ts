#!/usr/bin/env node
import { runCommand } from './cli-commands.js';

/** `takt-registry`: exit 0 on success, 1 with `CODE: message` on stderr when refused, 2 on usage errors. */
try {
  process.stdout.write(await runCommand(process.argv.slice(2)));
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`${e.code ?? 'ERROR'}: ${e.message}\n`);
  process.exitCode = e.code === 'USAGE' ? 2 : 1;
}
