import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process.js';
import { freePort } from './ports.js';

export interface RedisServer {
  url: string;
  port: number;
  process: ManagedProcess;
  close(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts a private `redis-server` (no persistence to disk) on a free loopback port. */
export async function startRedis(options: { binary?: string; port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'takt-redis-'));
  const proc = new ManagedProcess({
    name: `redis-server on ${port}`,
    command: options.binary ?? process.env['TAKT_REDIS_SERVER'] ?? 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    ready: () => ping(port),
  });
  await proc.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: proc,
    close: async () => {
      await proc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
