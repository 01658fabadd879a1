#!/usr/bin/env node
// Test-only entry: runs `serve` the way `takt-trainer serve` does (exit 2 on bad input, 1 on any other failure).
import { TrainerError } from '../errors.js';
import { serveCommand } from './cli.js';

serveCommand(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `takt-trainer serve: ${err instanceof TrainerError ? `${err.code}: ${err.message}` : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(err instanceof TrainerError ? 2 : 1);
});
