#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createLogger, GracefulShutdown } from '@takt/runtime';
import { loadBrokerConfig } from './config.js';
import { addUser, readPassword } from './passwd.js';
import { startBrokerServer } from './server.js';

const USAGE = `usage:
  takt-broker --config FILE              run the broker (keys overridable by TAKT_BROKER_* variables)
  takt-broker passwd FILE USER ROLE [--password P] [--devices site/line/device,...]
                                         add or update a user (password from stdin unless --password);
                                         --devices binds an edge box or device to what it may speak for (+ = any)`;

async function passwd(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { password: { type: 'string' }, devices: { type: 'string' } }, allowPositionals: true });
  const [file, user, role] = positionals;
  if (!file || !user || !role || positionals.length > 3) throw new Error(USAGE);
  const devices = values.devices?.split(',').map((d) => d.trim()).filter(Boolean);
  const password = values.password ?? (await readPassword(process.stdin));
  await addUser(file, user, role, password, devices);
  process.stdout.write(`user ${user} (${role}${devices ? ` for ${devices.join(', ')}` : ''}) written to ${file}\n`);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const logger = createLogger('broker');
  const config = loadBrokerConfig(values.config);
  const server = await startBrokerServer(config, logger);
  const shutdown = new GracefulShutdown(logger);
  shutdown.add('broker', () => server.close());
  // SIGHUP: re-read the users and ACL files; clients whose rights went away are disconnected
  process.on('SIGHUP', () => server.reload());
}

const [command, ...rest] = process.argv.slice(2);
(command === 'passwd' ? passwd(rest) : serve(process.argv.slice(2))).catch((err: Error & { code?: string }) => {
  process.stderr.write(`takt-broker: ${err.message}\n`);
  process.exit(err.message === USAGE ? 2 : 1);
});
