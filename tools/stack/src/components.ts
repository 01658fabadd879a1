import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type ManagedProcess } from '@takt/runtime';
import { httpOk, launch, type LaunchMode } from './launcher.js';

/** Where one stack keeps its configs, logs and data. */
export interface StackPaths {
  dir: string;
  logs: string;
  config: string;
  data: string;
}

export function stackPaths(dir: string): StackPaths {
  const p = { dir, logs: join(dir, 'logs'), config: join(dir, 'config'), data: join(dir, 'data') };
  for (const d of [p.logs, p.config, p.data]) mkdirSync(d, { recursive: true });
  return p;
}

export interface Component {
  name: string;
  process: ManagedProcess;
  configFile?: string;
  /** base URL of its `/metrics` and `/healthz`, when it serves them */
  metricsUrl?: string;
}

function writeConfig(paths: StackPaths, name: string, config: object): string {
  const file = join(paths.config, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return file;
}

/** Resolves a port: a fixed one, or a free one when 0/undefined. */
export async function portOr(fixed: number | undefined): Promise<number> {
  return fixed && fixed > 0 ? fixed : freePort();
}

export interface BrokerSpec {
  name: string;
  port: number;
  metricsPort: number;
  usersFile: string;
  redisUrl?: string;
  /** a config file (e.g. from deploy/) whose settings the generated ones override */
  base?: string;
}

function readBase(file: string | undefined): Record<string, unknown> {
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
}

export function brokerComponent(paths: StackPaths, mode: LaunchMode, spec: BrokerSpec): Component {
  const configFile = writeConfig(paths, spec.name, {
    ...readBase(spec.base),
    host: '127.0.0.1',
    port: spec.port,
    metrics: { host: '127.0.0.1', port: spec.metricsPort },
    usersFile: spec.usersFile,
    id: spec.name,
    ...(spec.redisUrl ? { persistence: { redis: spec.redisUrl } } : {}),
  });
  const process = launch('apps/broker', ['--config', configFile], {
    mode,
    name: spec.name,
    logFile: join(paths.logs, `${spec.name}.log`),
    ready: () => httpOk(`http://127.0.0.1:${spec.metricsPort}/healthz`),
  });
  return { name: spec.name, process, configFile };
}

export interface IngestorSpec {
  name: string;
  brokerUrl: string;
  password: string;
  influxUrl: string;
  metricsPort: number;
  filters?: string[];
  /** a config file (e.g. from deploy/) whose settings the generated ones override */
  base?: string;
  /** the evidence blob folder (shared with the trainer on one machine) */
  evidenceDir?: string;
}

export function ingestorComponent(paths: StackPaths, mode: LaunchMode, spec: IngestorSpec): Component {
  const dir = join(paths.data, spec.name);
  mkdirSync(dir, { recursive: true });
  const base = readBase(spec.base) as { broker?: Record<string, unknown> };
  const configFile = writeConfig(paths, spec.name, {
    ...base,
    broker: {
      ...base.broker,
      url: spec.brokerUrl,
      username: 'ingestor',
      password: spec.password,
      clientId: spec.name /* ingestor-N: bound to the user "ingestor" */,
      ...(spec.filters ? { filters: spec.filters } : {}),
    },
    influx: { url: spec.influxUrl, database: 'takt' },
    buffer: { spoolDir: join(dir, 'spool') },
    deadLetterFile: join(dir, 'dead-letters.jsonl'),
    metrics: { host: '127.0.0.1', port: spec.metricsPort },
    ...(spec.evidenceDir ? { evidence: { dir: spec.evidenceDir } } : {}),
  });
  const process = launch('apps/ingestor', ['--config', configFile], {
    mode,
    name: spec.name,
    logFile: join(paths.logs, `${spec.name}.log`),
    ready: () => httpOk(`http://127.0.0.1:${spec.metricsPort}/healthz`),
  });
  return { name: spec.name, process, configFile, metricsUrl: `http://127.0.0.1:${spec.metricsPort}` };
}

export interface DeviceAddress {
  site: string;
  line: string;
  device: string;
}

export interface EdgeSpec {
  name: string;
  brokerUrl: string;
  password: string;
  devices: DeviceAddress[];
  trustedKeysDir: string;
  registryToken: string;
  /** the trainer's base URL: the only place the agent fetches artifacts from */
  registryUrl?: string;
  /** anomaly hysteresis used before a model says otherwise */
  window?: { lengthMs: number; hopMs: number };
  /** fieldbus intake entries (`opcua`, `modbus`) for the served lines' machines */
  intake?: Record<string, unknown>;
  /** settings merged over the generated config (e.g. `evidence`) */
  extra?: Record<string, unknown>;
}

export function edgeComponent(paths: StackPaths, mode: LaunchMode, spec: EdgeSpec): Component {
  const dataDir = join(paths.data, spec.name);
  const configFile = writeConfig(paths, spec.name, {
    dataDir,
    // the box's own broker user (role edge, bound to its devices); client ids start with it
    source: { url: spec.brokerUrl, username: spec.name, password: spec.password, clientId: `${spec.name}-source` },
    upstream: { url: spec.brokerUrl, username: spec.name, password: spec.password, clientId: `${spec.name}-upstream` },
    devices: spec.devices,
    ...spec.intake,
    ...(spec.window ? { window: spec.window } : {}),
    heartbeatIntervalMs: 2_000,
    stateIntervalMs: 10_000,
    rollout: {
      trustedKeysDir: spec.trustedKeysDir,
      token: spec.registryToken,
      ...(spec.registryUrl ? { registryUrl: spec.registryUrl } : {}),
    },
    ...spec.extra,
  });
  const process = launch('apps/edge-agent', ['--config', configFile], {
    mode,
    name: spec.name,
    logFile: join(paths.logs, `${spec.name}.log`),
    ready: async () => process.recentOutput().includes('edge agent running'),
  });
  return { name: spec.name, process, configFile };
}

export interface DashboardSpec {
  port: number;
  usersFile: string;
  brokerUrl: string;
  password: string;
  influxUrl: string;
  trainer?: { url: string; readerToken: string; operatorToken: string };
}

export function dashboardComponent(paths: StackPaths, mode: LaunchMode, spec: DashboardSpec): Component {
  const configFile = writeConfig(paths, 'dashboard', {
    host: '127.0.0.1',
    port: spec.port,
    usersFile: spec.usersFile,
    mqtt: { url: spec.brokerUrl, username: 'dashboard', password: spec.password },
    influx: { url: spec.influxUrl, database: 'takt' },
    ...(spec.trainer ? { trainer: spec.trainer } : {}),
  });
  const process = launch('apps/dashboard', ['--config', configFile], {
    mode,
    name: 'dashboard',
    logFile: join(paths.logs, 'dashboard.log'),
    ready: () => httpOk(`http://127.0.0.1:${spec.port}/healthz`),
  });
  return { name: 'dashboard', process, configFile };
}

export interface SimulatorSpec {
  plantFile: string;
  brokerUrl: string;
  password: string;
  seed: number;
  durationS?: number;
  /** extra arguments (`--serve …`) */
  args?: string[];
}

export function simulatorComponent(paths: StackPaths, mode: LaunchMode, spec: SimulatorSpec): Component {
  const args = [
    'run',
    '--plant',
    spec.plantFile,
    '--broker',
    spec.brokerUrl,
    '--username',
    'simulator',
    '--seed',
    String(spec.seed),
    '--truth',
    join(paths.data, 'truth.csv'),
  ];
  if (spec.durationS) args.push('--duration', String(spec.durationS));
  args.push(...(spec.args ?? []));
  const process = launch('simulators/plant', args, {
    mode,
    name: 'simulator',
    env: { TAKT_SIM_PASSWORD: spec.password },
    logFile: join(paths.logs, 'simulator.log'),
    // takt-sim prints "publishing" on stdout once connected
    ready: async () => process.recentOutput().includes('publishing'),
  });
  return { name: 'simulator', process };
}
