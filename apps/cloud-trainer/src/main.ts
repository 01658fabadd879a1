#!/usr/bin/env node
import { runCli } from './cli/run.js';

const code = await runCli(process.argv.slice(2));
// a failure exits now: a `serve` that failed half-way (a taken port, say) may still hold broker and
// InfluxDB connections that would otherwise keep a dead service running
if (code !== 0) process.exit(code);
process.exitCode = code;
