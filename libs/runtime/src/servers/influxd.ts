import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process.js';
import { freePort } from './ports.js';

export interface InfluxdOptions {
  /** data directory; default a fresh temp dir removed on `close()` */
  dataDir?: string;
  /** HTTP port; default a free one */
  port?: number;
  host?: string;
  /** influxd binary; default `influxd` on PATH */
  binary?: string;
  /** file for influxd's own log; default `${dataDir}/influxd.log` */
  logFile?: string;
  /** own process group (see ManagedProcessOptions.detached); default false */
  detached?: boolean;
}

export interface InfluxdServer {
  url: string;
  host: string;
  port: number;
  dataDir: string;
  process: ManagedProcess;
  /** stop influxd (its data stays) */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** stop and, when the data dir was a temp dir, remove it */
  close(): Promise<void>;
}

/** Throws a clear error when no `influxd` binary can be run. */
export function influxdVersion(binary = 'influxd'): string {
  try {
    return execFileSync(binary, ['version'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `cannot run ${binary}: install InfluxDB 1.x (Debian/Ubuntu: sudo apt-get install -y influxdb) or set TAKT_INFLUXD to its path`,
    );
  }
}

function configToml(dir: string, host: string, port: number, rpcPort: number): string {
  return `reporting-disabled = true
bind-address = "${host}:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "10s"
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "${host}:${port}"
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0
[continuous_queries]
  log-enabled = false
  enabled = true
  run-interval = "1s"
[logging]
  level = "warn"
  suppress-logo = true
`;
}

/**
 * Starts a private influxd (1.x) on its own data dir and a free port, with reporting disabled.
 * Nothing touches a system service: every test run and `npm start` gets its own server.
 */
export async function startInfluxd(options: InfluxdOptions = {}): Promise<InfluxdServer> {
  const binary = options.binary ?? process.env['TAKT_INFLUXD'] ?? 'influxd';
  influxdVersion(binary);
  const temp = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'takt-influxd-'));
  mkdirSync(dataDir, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const rpcPort = await freePort(host);
  const configFile = join(dataDir, 'influxd.conf');
  writeFileSync(configFile, configToml(dataDir, host, port, rpcPort));
  const url = `http://${host}:${port}`;
  const proc = new ManagedProcess({
    name: `influxd on ${url}`,
    command: binary,
    args: ['run', '-config', configFile],
    env: { ...process.env, INFLUXDB_REPORTING_DISABLED: 'true' },
    logFile: options.logFile ?? join(dataDir, 'influxd.log'),
    ready: async () => (await fetch(`${url}/ping`)).status === 204,
    readyTimeoutMs: 60_000,
    detached: options.detached,
  });
  await proc.start();
  return {
    url,
    host,
    port,
    dataDir,
    process: proc,
    stop: () => proc.stop(),
    start: () => proc.start(),
    restart: () => proc.restart(),
    close: async () => {
      await proc.close();
      if (temp) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
