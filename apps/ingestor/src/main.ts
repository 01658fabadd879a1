#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createLogger, GracefulShutdown, runMain } from '@takt/runtime';
import { loadIngestorConfig } from './config.js';

const USAGE = 'usage: takt-ingest --config FILE   (every key also settable as TAKT_INGEST_<KEY>, nested with __)';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
  const config = loadIngestorConfig(values.config);
  const logger = createLogger('takt-ingest');
  const shutdown = new GracefulShutdown(logger);
  const { Ingestor } = await import('./ingestor.js'); // after the config: bad input answers at once
  const ingestor = await Ingestor.start(config, logger);
  shutdown.add('ingestor', () => ingestor.stop());
  logger.info(
    { metrics: ingestor.metricsUrl, broker: config.broker.url, influx: config.influx.url },
    'takt-ingest started',
  );
  await ingestor.ready();
  logger.info('subscribed; ingesting');
}

await runMain({
  name: 'takt-ingest',
  packageJson: new URL('../package.json', import.meta.url),
  usage: USAGE,
  run: main,
});
