import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Component, StackPaths } from './components.js';
import { httpOk, launch, type LaunchMode } from './launcher.js';
import type { StackSecrets } from './secrets.js';

export interface TrainerSpec {
  /** the Unix socket of the signer process (`signerComponent`) */
  signerSocket: string;
  port: number;
  brokerUrl: string;
  password: string;
  influxUrl: string;
  secrets: StackSecrets;
  /** settings merged over the defaults below (e.g. `training`, `drift`) */
  extra?: Record<string, unknown>;
}

/**
 * The signer: `takt-registry signer`, the only process that holds the private signing key; the
 * trainer service asks it over a Unix socket (0600) to sign manifests and rollback grants.
 */
export function signerComponent(
  paths: StackPaths,
  mode: LaunchMode,
  secrets: StackSecrets,
): Component & { socket: string } {
  const keyFile = join(paths.dir, 'keys', `${secrets.signingKey.keyId}.key`);
  writeFileSync(keyFile, secrets.signingKey.privateKeyPem, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  const socket = join(paths.dir, 'signer.sock');
  const process = launch(
    'libs/model-registry',
    ['signer', '--key', keyFile, '--key-id', secrets.signingKey.keyId, '--socket', socket],
    {
      mode,
      entry: 'cli',
      name: 'signer',
      logFile: join(paths.logs, 'signer.log'),
      ready: () => canConnect(socket),
    },
  );
  return { name: 'signer', process, socket };
}

const canConnect = (path: string) =>
  new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

/** The trainer service: registry, training jobs from InfluxDB, rollouts, drift. */
export function trainerComponent(paths: StackPaths, mode: LaunchMode, spec: TrainerSpec): Component {
  const dir = join(paths.data, 'trainer');
  mkdirSync(dir, { recursive: true });
  const config = {
    host: '127.0.0.1',
    port: spec.port,
    publicUrl: `http://127.0.0.1:${spec.port}`,
    registryDir: join(dir, 'registry'),
    signer: { socket: spec.signerSocket }, // the service never holds the private key
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
