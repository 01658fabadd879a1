#!/usr/bin/env node
import { runMain } from '@takt/runtime';
import { trainerProgram } from './cli/run.js';

// a failure exits at once: a `serve` that failed half-way (a taken port, say) may still hold broker and
// InfluxDB connections that would otherwise keep a dead service running
await runMain({ ...trainerProgram, packageJson: new URL('../package.json', import.meta.url) });
