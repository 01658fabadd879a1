import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DiskBlobStore } from '@takt/evidence-store';
import { KeySigner, ModelRegistry, readPrivateKeyFile, SocketSigner, type Signer } from '@takt/model-registry';
import { ConfigError, type Logger } from '@takt/runtime';
import { TelemetryStore, type ModelEvent } from '@takt/telemetry-store';
import { BearerAuth } from './auth.js';
import { publicUrlOf, type TrainerServiceConfig } from './config.js';
import { DeviceDirectory } from './device-directory.js';
import { DriftMonitor } from './drift.js';
import { evidenceDirOf } from './evidence-config.js';
import { EvidenceSweeper } from './evidence-retention.js';
import { TrainingJobs } from './jobs.js';
import { runKmeansJob } from './kmeans-job.js';
import { runFaultJob, runVisionJob, type CnnJobDeps } from './cnn-jobs.js';
import { renderMetrics } from './metrics.js';
import type { JobRecord } from './records.js';
import { createApi } from './routes.js';
import { RolloutManager } from './rollouts.js';
import { ApprovalQueue } from './approvals.js';
import { TrainingScheduler } from './scheduler.js';
import { ServiceStateFile } from './state-file.js';

/** A running trainer service. */
export interface TrainerService {
  /** where the API listens, e.g. `http://127.0.0.1:8090` */
  url: string;
  port: number;
  /** base of the artifact URLs put in `model/desired` */
  publicUrl: string;
  /** stops timers, waits for the running job, saves state, closes HTTP, MQTT and InfluxDB */
  close(): Promise<void>;
}

export const STATE_FILE = 'trainer-state.json';

/** The signer: a separate `takt-registry signer` process, or the configured key file (mode 0600). */
async function signerOf(config: TrainerServiceConfig): Promise<Signer> {
  if (config.signer) return new SocketSigner(config.signer.socket);
  const key = config.signingKey as NonNullable<TrainerServiceConfig['signingKey']>; // loadTrainerServiceConfig: one of the two
  try {
    return new KeySigner({ keyId: key.keyId, privateKeyPem: await readPrivateKeyFile(key.privateKeyFile) });
  } catch (err) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `config key "signingKey.privateKeyFile": ${(err as Error).message}`,
      'signingKey.privateKeyFile',
    );
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Starts `takt-trainer serve`: registry, InfluxDB store, MQTT device directory, training queue,
 * rollouts, scheduler, drift monitor and the HTTP API. Job and rollout history persist in
 * `registryDir/trainer-state.json`.
 */
export async function startTrainerService(config: TrainerServiceConfig, logger: Logger): Promise<TrainerService> {
  const registry = new ModelRegistry({ dir: config.registryDir, signer: await signerOf(config) });
  const store = await TelemetryStore.connect({
    url: config.influx.url,
    database: config.influx.database,
    username: config.influx.username,
    password: config.influx.password,
    retention: { evidence: `${config.evidence.retentionDays}d` },
  });
  const blobs = new DiskBlobStore({ dir: evidenceDirOf(config) });
  const sweeper = new EvidenceSweeper({ blobs, retentionDays: config.evidence.retentionDays, logger });
  const stateFile = new ServiceStateFile(join(config.registryDir, STATE_FILE), logger);
  const saved = await stateFile.load();
  const event = async (e: ModelEvent) => {
    try {
      await store.writeModelEvent(e);
    } catch (err) {
      logger.warn({ err: (err as Error).message, kind: e.kind, model: e.model }, 'model event not written');
    }
  };
  const directory = await DeviceDirectory.connect({ ...config.mqtt, logger });
  await directory
    .seedFromStore(store)
    .catch((err: Error) => logger.warn({ err: err.message }, 'device states not read from InfluxDB'));
  // the history sources are swapped for the live ones once they exist
  const history = { jobs: () => saved.jobs, rollouts: () => saved.rollouts };
  const save = () => void stateFile.save(() => ({ jobs: history.jobs(), rollouts: history.rollouts() }));
  const after: { jobFinished?: (job: JobRecord) => Promise<void> } = {};
  const cnn: CnnJobDeps = {
    store,
    blobs,
    registry,
    training: config.training,
    useSimulatorTruth: config.evidence.useSimulatorTruth,
    logger,
  };
  const jobs = new TrainingJobs({
    run: (job, progress) =>
      job.kind === 'cnn-vision'
        ? runVisionJob(cnn, job, progress)
        : job.kind === 'cnn-fault'
          ? runFaultJob(cnn, job, progress)
          : runKmeansJob({ store, registry, training: config.training, logger }, job, progress),
    onChange: save,
    onFinished: (job) =>
      void after
        .jobFinished?.(job)
        .catch((err: Error) => logger.error({ err: err.message, job: job.id }, 'auto rollout failed')),
    history: saved.jobs,
    logger,
  });
  history.jobs = () => jobs.list().reverse();
  const http = createServer();
  const port = await listen(http, config.port, config.host);
  const publicUrl = publicUrlOf(config, port);
  const rollouts = new RolloutManager({
    directory,
    registry,
    event,
    publicUrl,
    config: config.rollout,
    history: saved.rollouts,
    onChange: save,
    logger,
  });
  history.rollouts = () => rollouts.list().reverse();
  const approvals = new ApprovalQueue();
  const sched = new TrainingScheduler({
    jobs,
    registry,
    store,
    directory,
    rollouts,
    approvals,
    training: config.training,
    evidence: { store, useSimulatorTruth: config.evidence.useSimulatorTruth },
    logger,
  });
  const drift = new DriftMonitor({
    store,
    registry,
    model: config.training.model,
    config: config.drift,
    event,
    logger,
    retrain: () =>
      void (
        jobs.pending(config.training.model) ||
        jobs.submit({ model: config.training.model, trigger: 'drift', request: {} })
      ),
  });
  const auth = new BearerAuth(config.tokens);
  const app = createApi({
    auth,
    registry,
    jobs,
    rollouts,
    approvals,
    logger,
    defaultModels: {
      kmeans: config.training.model,
      'cnn-vision': config.training.vision.model,
      'cnn-fault': config.training.fault.model,
    },
    evidence: { store, blobs, registry, config: config.evidence, logger },
    jobRange: { maxSpanMs: config.training.maxJobSpanMs, lookbackMs: config.training.lookbackMs },
    metrics: () =>
      renderMetrics({
        jobs: jobs.list(),
        rollouts: rollouts.list(),
        driftChecks: drift.checks,
        driftEvents: drift.drifts,
        mqttConnected: directory.connected,
      }),
    health: async () => ({ influx: await store.ping(), mqtt: directory.connected }),
  });
  http.on('request', app);
  after.jobFinished = (job) => sched.onJobFinished(job);
  sched.start();
  drift.start();
  sweeper.start();
  save();
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  logger.info({ port, publicUrl, registry: config.registryDir }, 'trainer service listening');
  return {
    url: `http://${host}:${port}`,
    port,
    publicUrl,
    close: async () => {
      await sched.stop();
      await drift.stop();
      await sweeper.stop();
      rollouts.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await jobs.close();
      await rollouts.idle();
      await stateFile.save(() => ({ jobs: history.jobs(), rollouts: history.rollouts() }));
      await directory.close();
      await store.close();
    },
  };
}
