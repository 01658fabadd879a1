#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, GracefulShutdown } from '@takt/runtime';
import { loadIngestorConfig } from './config.js';
import { Ingestor } from './ingestor.js';

const USAGE = 'usage: takt-ingest --config FILE   (every key also settable as TAKT_INGEST_<KEY>, nested with __)';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const logger = createLogger('takt-ingest');
  const config = loadIngestorConfig(values.config);
  const shutdown = new GracefulShutdown(logger);
  const ingestor = await Ingestor.start(config, logger);
  shutdown.add('ingestor', () => ingestor.stop());
  logger.info({ metrics: ingestor.metricsUrl, broker: config.broker.url, influx: config.influx.url }, 'takt-ingest started');
  await ingestor.ready();
  logger.info('subscribed; ingesting');
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`takt-ingest: ${err.message}\n${USAGE}`);
  else console.error('takt-ingest failed:', err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
