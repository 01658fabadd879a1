#!/usr/bin/env node
/** takt-edge --config FILE — the edge agent. Settings: JSON file, overridden by TAKT_EDGE_* variables. */
import { parseArgs } from 'node:util';
import { createLogger, GracefulShutdown, runMain } from '@takt/runtime';
import { loadAgentConfig } from './config.js';

const USAGE = 'usage: takt-edge --config FILE   (every key overridable by TAKT_EDGE_<KEY>, nested with __)';

await runMain({
  name: 'takt-edge',
  packageJson: new URL('../package.json', import.meta.url),
  usage: USAGE,
  run: async (argv) => {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
    const config = loadAgentConfig(values.config);
    const log = createLogger('edge-agent');
    // loaded once the command line and config are known good: --help and bad input answer at once
    const { EdgeAgent } = await import('./agent.js');
    const agent = await EdgeAgent.start(config, log);
    const shutdown = new GracefulShutdown(log);
    shutdown.add('agent', () => agent.stop());
    log.info({ dataDir: config.dataDir, providers: config.inference.providers }, 'edge agent running');
  },
});
