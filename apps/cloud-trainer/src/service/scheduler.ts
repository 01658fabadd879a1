import type { ModelRegistry } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import type { TelemetryStore } from '@takt/telemetry-store';
import type { TrainerServiceConfig } from './config.js';
import type { DeviceDirectory } from './device-directory.js';
import type { TrainingJobs } from './jobs.js';
import type { JobRecord } from './records.js';
import type { ApprovalQueue } from './approvals.js';
import type { RolloutManager } from './rollouts.js';
import { byDevice } from './training-data.js';

export interface TrainingSchedulerOptions {
  jobs: TrainingJobs;
  registry: ModelRegistry;
  store: TelemetryStore;
  directory: DeviceDirectory;
  rollouts: RolloutManager;
  /** where automatic rollouts wait when `autoRollout.approval` is `approve` */
  approvals: ApprovalQueue;
  training: TrainerServiceConfig['training'];
  logger: Logger;
}

/**
 * Automatic training: the first model once `firstTrainAfterMs` of healthy feature data exists,
 * a retraining every `scheduleMs`, and (with `autoRollout`) a canary rollout of every model such
 * a job registers to all devices seen in `state`.
 */
export class TrainingScheduler {
  readonly #o: TrainingSchedulerOptions;
  readonly #timers: NodeJS.Timeout[] = [];
  #polling: Promise<unknown> = Promise.resolve();

  constructor(o: TrainingSchedulerOptions) {
    this.#o = o;
  }

  start(): void {
    const t = this.#o.training;
    if (t.scheduleMs > 0) this.#timers.push(setInterval(() => this.#submit('schedule'), t.scheduleMs));
    if (t.firstTrainAfterMs > 0) {
      const poll = () => (this.#polling = this.pollFirstModel().catch((err: Error) => this.#o.logger.warn({ err: err.message }, 'first-model check failed')));
      this.#timers.push(setInterval(poll, t.pollMs));
      poll();
    }
    for (const timer of this.#timers) timer.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await this.#polling;
  }

  /** Submits the first training when no model exists yet and enough healthy data does; true when it did. */
  async pollFirstModel(now = Date.now()): Promise<boolean> {
    const { training, registry, jobs, store } = this.#o;
    if (jobs.pending(training.model) || (await registry.latest(training.model))) return false;
    const rows = await store.queryFeatures({ from: now - Math.max(training.lookbackMs, training.firstTrainAfterMs), to: now });
    if (rows.length < training.minWindows) return false;
    let span = 0;
    for (const list of byDevice(rows).values()) span = Math.max(span, (list[list.length - 1]?.ts ?? 0) - (list[0]?.ts ?? 0));
    if (span < training.firstTrainAfterMs) return false;
    this.#submit('first');
    return true;
  }

  /** Hook for finished jobs: rolls out what an automatic job registered, when `autoRollout` is set. */
  async onJobFinished(job: JobRecord): Promise<void> {
    const auto = this.#o.training.autoRollout;
    if (!auto || job.trigger === 'api' || job.status !== 'succeeded' || job.version === undefined) return;
    // only devices that produce the model's features: a camera station, say, has no vibration windows
    const trained = new Set(job.trainedOn ?? []);
    const devices = this.#o.directory.devices().filter((d) => trained.size === 0 || trained.has(d));
    if (devices.length === 0) {
      this.#o.logger.warn({ model: job.model, version: job.version }, 'auto rollout skipped: no device has reported state');
      return;
    }
    const request = { model: job.model, version: job.version, canary: devices.slice(0, auto.canary), devices, watchMs: auto.watchMs };
    if (auto.approval === 'approve') {
      this.#o.approvals.add({ ...request, job: job.id, requestedAt: Date.now() });
      this.#o.logger.info({ model: job.model, version: job.version }, 'rollout awaits approval');
      return;
    }
    const r = await this.#o.rollouts.create(request);
    this.#o.logger.info({ rollout: r.id, model: job.model, version: job.version, canary: r.canary }, 'auto rollout started');
  }

  #submit(trigger: 'schedule' | 'first'): void {
    const model = this.#o.training.model;
    if (this.#o.jobs.pending(model)) return;
    const job = this.#o.jobs.submit({ model, trigger, request: {} });
    this.#o.logger.info({ job: job.id, trigger }, 'training job scheduled');
  }
}
