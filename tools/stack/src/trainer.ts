import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component, StackPaths } from './components.js';
import { httpOk, launch, type LaunchMode } from './launcher.js';
import type { StackSecrets } from './secrets.js';

export interface TrainerSpec {
  port: number;
  brokerUrl: string;
  password: string;
  influxUrl: string;
  secrets: StackSecrets;
  /** settings merged over the defaults below (e.g. `training`, `drift`) */
  extra?: Record<string, unknown>;
}

/** The trainer service: registry, training jobs from InfluxDB, rollouts, drift. */
export function trainerComponent(paths: StackPaths, mode: LaunchMode, spec: TrainerSpec): Component {
  const dir = join(paths.data, 'trainer');
  mkdirSync(dir, { recursive: true });
  const keyFile = join(paths.dir, 'keys', `${spec.secrets.signingKey.keyId}.key`);
  writeFileSync(keyFile, spec.secrets.signingKey.privateKeyPem, { mode: 0o600 });
  const config = {
    host: '127.0.0.1',
    port: spec.port,
    publicUrl: `http://127.0.0.1:${spec.port}`,
    registryDir: join(dir, 'registry'),
    signingKey: { keyId: spec.secrets.signingKey.keyId, privateKeyFile: keyFile },
    tokens: [
      { token: spec.secrets.tokens.reader, role: 'reader' },
      { token: spec.secrets.tokens.operator, role: 'operator' },
    ],
    influx: { url: spec.influxUrl, database: 'takt' },
    mqtt: { url: spec.brokerUrl, username: 'trainer', password: spec.password },
    ...spec.extra,
  };
  const configFile = join(paths.config, 'trainer.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  const process = launch('apps/cloud-trainer', ['serve', '--config', configFile], {
    mode,
    name: 'trainer',
    logFile: join(paths.logs, 'trainer.log'),
    ready: () => httpOk(`http://127.0.0.1:${spec.port}/healthz`),
    readyTimeoutMs: 60_000,
  });
  return { name: 'trainer', process, configFile };
}
