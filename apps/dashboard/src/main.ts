#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, GracefulShutdown, loadConfig } from '@takt/runtime';
import { startDashboard } from './app.js';
import { dashboardConfigSchema } from './config.js';

const USAGE = 'usage: takt-dashboard --config FILE   (every key overridable by TAKT_DASHBOARD_*)';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const logger = createLogger('dashboard');
  const config = loadConfig(dashboardConfigSchema, { file: values.config, envPrefix: 'TAKT_DASHBOARD_' });
  const shutdown = new GracefulShutdown(logger);
  const dashboard = await startDashboard(config, { logger });
  shutdown.add('dashboard', () => dashboard.close());
  // SIGHUP: re-read the users file; removed or changed users are signed out
  process.on('SIGHUP', () => void dashboard.reloadUsers());
  console.log(`takt-dashboard listening on ${dashboard.url}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `takt-dashboard: ${err.message}` : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
