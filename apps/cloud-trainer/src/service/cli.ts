import { parseArgs } from 'node:util';
import { ConfigError, createLogger, GracefulShutdown } from '@takt/runtime';
import { TrainerError } from '../errors.js';
import { loadTrainerServiceConfig } from './config.js';
import { startTrainerService, type TrainerService } from './service.js';

export const SERVE_USAGE =
  'usage: takt-trainer serve --config FILE   (every key also settable as TAKT_TRAINER_<KEY>, nested with __)';

/**
 * `takt-trainer serve --config FILE`: loads the config (file, then `TAKT_TRAINER_*`), starts the
 * service and installs a graceful shutdown on SIGINT/SIGTERM. Resolves once the API listens; the
 * server keeps the process alive. A bad config or argument throws `TrainerError('BAD_ARGUMENT')`.
 */
export async function serveCommand(argv: string[]): Promise<void> {
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    throw new TrainerError('BAD_ARGUMENT', `${(err as Error).message}\n${SERVE_USAGE}`);
  }
  if (values.help) {
    console.log(SERVE_USAGE);
    return;
  }
  const logger = createLogger('takt-trainer');
  let service: TrainerService;
  try {
    service = await startTrainerService(loadTrainerServiceConfig(values.config), logger);
  } catch (err) {
    if (err instanceof ConfigError) throw new TrainerError('BAD_ARGUMENT', `${err.message}\n${SERVE_USAGE}`);
    throw err;
  }
  const shutdown = new GracefulShutdown(logger);
  shutdown.add('trainer service', () => service.close());
  console.error(`takt-trainer serve: listening on ${service.url} (artifacts at ${service.publicUrl})`);
}
