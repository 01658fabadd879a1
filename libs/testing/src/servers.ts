import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  ManagedProcess,
  startInfluxd,
  startRedis,
  type InfluxdServer,
  type RedisServer,
} from '@takt/runtime';

export { startInfluxd, startRedis, type InfluxdServer, type RedisServer };

/** True once something accepts TCP connections on `port`. */
export function tcpReady(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface MosquittoServer {
  url: string;
  port: number;
  process: ManagedProcess;
  close(): Promise<void>;
}

/** Starts Debian's `mosquitto` on a free loopback port (the peer broker for tests and benchmarks). */
export async function startMosquitto(options: { extraConfig?: string } = {}): Promise<MosquittoServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'takt-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n${options.extraConfig ?? ''}\n`,
  );
  const proc = new ManagedProcess({
    name: `mosquitto on ${port}`,
    command: process.env['TAKT_MOSQUITTO'] ?? '/usr/sbin/mosquitto',
    args: ['-c', conf],
    ready: () => tcpReady(port),
  });
  await proc.start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    process: proc,
    close: async () => {
      await proc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
