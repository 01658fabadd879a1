#!/usr/bin/env node
/** takt-edge --config FILE — the edge agent. Settings: JSON file, overridden by TAKT_EDGE_* variables. */
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, GracefulShutdown } from '@takt/runtime';
import { EdgeAgent } from './agent.js';
import { loadAgentConfig } from './config.js';

const log = createLogger('edge-agent');
const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });

try {
  const config = loadAgentConfig(values.config);
  const agent = await EdgeAgent.start(config, log);
  const shutdown = new GracefulShutdown(log);
  shutdown.add('agent', () => agent.stop());
  log.info({ dataDir: config.dataDir, providers: config.inference.providers }, 'edge agent running');
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`takt-edge: ${err.message}`);
    process.exit(2);
  }
  log.fatal({ err }, 'edge agent failed to start');
  process.exit(1);
}
