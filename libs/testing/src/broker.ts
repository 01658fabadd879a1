import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, hashPassword, type ManagedProcess } from '@takt/runtime';
import { spawnTakt, tempDir } from './workspace.js';

export interface TestBrokerUser {
  username: string;
  password: string;
  role: 'device' | 'service' | 'engineer';
}

export interface TestBrokerOptions {
  /** users besides the two defaults (`service`/`service-secret`, `engineer`/`engineer-secret`) */
  users?: TestBrokerUser[];
  /** ACL file text (apps/broker/README.md); default: none, the role defaults apply */
  acl?: string;
  /** default false */
  allowAnonymous?: boolean;
  /** cluster mode: share state through this Redis (`startRedis()`) */
  redisUrl?: string;
  /** any other broker config keys; they win over the helper's own */
  config?: Record<string, unknown>;
}

export interface TestBroker {
  /** `mqtt://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** `ws://127.0.0.1:PORT/mqtt` */
  wsUrl?: string;
  /** `http://127.0.0.1:PORT` serving `/metrics` and `/healthz` */
  metricsUrl: string;
  configFile: string;
  process: ManagedProcess;
  /** SIGTERM and wait (ports stay reserved for `start()`) */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** SIGKILL: no clean shutdown */
  kill(): Promise<void>;
  /** stop and remove the temp dir */
  close(): Promise<void>;
}

export const DEFAULT_TEST_BROKER_USERS: readonly TestBrokerUser[] = [
  { username: 'service', password: 'service-secret', role: 'service' },
  { username: 'engineer', password: 'engineer-secret', role: 'engineer' },
];

async function writeUsers(file: string, users: readonly TestBrokerUser[]): Promise<void> {
  const entries = await Promise.all(
    users.map(async (u) => [u.username, { passwordHash: await hashPassword(u.password), role: u.role }] as const),
  );
  writeFileSync(file, JSON.stringify(Object.fromEntries(entries), null, 2), { mode: 0o600 });
}

/**
 * Starts a real `takt-broker` process (from source) on free loopback ports, with a users file, an
 * optional ACL, a WebSocket listener and the metrics endpoint. It keeps its ports across restarts.
 */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const dir = tempDir('takt-broker-');
  try {
    const usersFile = join(dir.path, 'users.json');
    await writeUsers(usersFile, [...DEFAULT_TEST_BROKER_USERS, ...(options.users ?? [])]);
    let aclFile: string | undefined;
    if (options.acl !== undefined) {
      aclFile = join(dir.path, 'broker.acl');
      writeFileSync(aclFile, options.acl);
    }
    const [port, wsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const config = {
      host: '127.0.0.1',
      port,
      ws: { port: wsPort },
      metrics: { host: '127.0.0.1', port: metricsPort },
      usersFile,
      ...(aclFile ? { aclFile } : {}),
      allowAnonymous: options.allowAnonymous ?? false,
      ...(options.redisUrl ? { persistence: { redis: options.redisUrl } } : {}),
      ...options.config,
    };
    const configFile = join(dir.path, 'broker.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const proc = spawnTakt('apps/broker', ['--config', configFile], {
      name: `takt-broker on ${port}`,
      logFile: join(dir.path, 'broker.log'),
      ready: async () => (await fetch(`${metricsUrl}/healthz`)).ok,
    });
    await proc.start();
    return {
      url: `mqtt://127.0.0.1:${port}`,
      port,
      wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
      metricsUrl,
      configFile,
      process: proc,
      stop: () => proc.stop(),
      start: () => proc.start(),
      restart: () => proc.restart(),
      kill: () => proc.kill(),
      close: async () => {
        await proc.close();
        dir.remove();
      },
    };
  } catch (err) {
    dir.remove();
    throw err;
  }
}
