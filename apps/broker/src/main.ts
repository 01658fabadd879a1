#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createLogger, GracefulShutdown, runMain, subcommandUsage, UsageError } from '@takt/runtime';
import { loadBrokerConfig } from './config.js';
import { addUser, readPassword } from './passwd.js';

const USAGE = `usage:
  takt-broker --config FILE              run the broker (keys overridable by TAKT_BROKER_* variables)
  takt-broker passwd FILE USER ROLE [--password P] [--devices site/line/device,...]
                                         add or update a user (password from stdin unless --password);
                                         --devices binds an edge box or device to what it may speak for (+ = any)`;

async function passwd(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { password: { type: 'string' }, devices: { type: 'string' } },
    allowPositionals: true,
  });
  const [file, user, role] = positionals;
  if (!file || !user || !role || positionals.length > 3) throw new UsageError('passwd takes FILE USER ROLE');
  const devices = values.devices
    ?.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const password = values.password ?? (await readPassword(process.stdin));
  await addUser(file, user, role, password, devices);
  process.stdout.write(`user ${user} (${role}${devices ? ` for ${devices.join(', ')}` : ''}) written to ${file}\n`);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  const logger = createLogger('broker');
  const config = loadBrokerConfig(values.config);
  const { startBrokerServer } = await import('./server.js'); // after the config: bad input answers at once
  const server = await startBrokerServer(config, logger);
  const shutdown = new GracefulShutdown(logger);
  shutdown.add('broker', () => server.close());
  // SIGHUP: re-read the users and ACL files; clients whose rights went away are disconnected
  process.on('SIGHUP', () => server.reload());
}

await runMain({
  name: 'takt-broker',
  packageJson: new URL('../package.json', import.meta.url),
  usage: (argv) => subcommandUsage(USAGE, 'takt-broker', argv),
  run: (argv) => (argv[0] === 'passwd' ? passwd(argv.slice(1)) : serve(argv)),
});
