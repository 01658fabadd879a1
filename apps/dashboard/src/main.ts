#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createLogger, GracefulShutdown, loadConfig, runMain } from '@takt/runtime';
import { dashboardConfigSchema } from './config.js';

const USAGE = 'usage: takt-dashboard --config FILE   (every key overridable by TAKT_DASHBOARD_<KEY>, nested with __)';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
  const config = loadConfig(dashboardConfigSchema, { file: values.config, envPrefix: 'TAKT_DASHBOARD_' });
  const logger = createLogger('dashboard');
  const shutdown = new GracefulShutdown(logger);
  const { startDashboard } = await import('./app.js'); // after the config: bad input answers at once
  const dashboard = await startDashboard(config, { logger });
  shutdown.add('dashboard', () => dashboard.close());
  // SIGHUP: re-read the users file; removed or changed users are signed out
  process.on('SIGHUP', () => void dashboard.reloadUsers());
  console.log(`takt-dashboard listening on ${dashboard.url}`);
}

await runMain({
  name: 'takt-dashboard',
  packageJson: new URL('../package.json', import.meta.url),
  usage: USAGE,
  run: main,
});
