import type { ModelRegistry } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import type { TelemetryStore } from '@takt/telemetry-store';
import type { TrainerServiceConfig } from './config.js';
import type { DeviceDirectory } from './device-directory.js';
import type { TrainingJobs } from './jobs.js';
import type { JobKind, JobRecord } from './records.js';
import { frameLabel, HEALTHY_FAULT_CLASS, windowLabelOf, type CnnJobDeps, type EvidenceRecord } from './cnn-jobs.js';

/** The class a raw window counts as for the first-model rule: its fixed label, else (when allowed) its simulator truth. */
function windowClass(r: EvidenceRecord, useTruth: boolean): string | undefined {
  const how = windowLabelOf(r, useTruth);
  if (how?.fixed) return how.fixed.label;
  if (!how?.fromTruth || r.truth === undefined) return undefined;
  return r.truth === 'normal' ? HEALTHY_FAULT_CLASS : r.truth;
}
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
  /** labelled evidence, for the CNN jobs' first-model and new-labels rules; absent: CNNs train only on request */
  evidence?: { store: CnnJobDeps['store']; useSimulatorTruth: boolean };
  logger: Logger;
}

/** The CNN kinds the scheduler trains from labelled evidence. */
const CNN_KINDS = ['cnn-vision', 'cnn-fault'] as const;

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
    for (const kind of CNN_KINDS) {
      const cnn = kind === 'cnn-vision' ? t.vision : t.fault;
      if (cnn.scheduleMs > 0)
        this.#timers.push(setInterval(() => void this.#scheduleCnn(kind, cnn.model), cnn.scheduleMs));
    }
    if (t.firstTrainAfterMs > 0) {
      const poll = () =>
        (this.#polling = this.pollFirstModel().catch((err: Error) =>
          this.#o.logger.warn({ err: err.message }, 'first-model check failed'),
        ));
      this.#timers.push(setInterval(poll, t.pollMs));
      poll();
    }
    if (this.#o.evidence) {
      const poll = () =>
        (this.#labelPolling = this.pollLabels().catch((err: Error) =>
          this.#o.logger.warn({ err: err.message }, 'label check failed'),
        ));
      this.#timers.push(setInterval(poll, t.labelPollMs));
      poll();
    }
    for (const timer of this.#timers) timer.unref();
  }

  #labelPolling: Promise<unknown> = Promise.resolve();

  /**
   * For each CNN kind: submits the first training once `minLabelled` labelled samples of two or more classes exist,
   * and a retraining once `retrainAfterLabels` engineer or upload labels arrived after the last job began (simulator
   * truth counts for the first model only: it labels every new sample, so it would retrain without end). A failed
   * job is not retried before new labels arrive or five polls have passed. Returns the kinds submitted.
   */
  async pollLabels(now = Date.now()): Promise<JobKind[]> {
    const ev = this.#o.evidence;
    if (!ev) return [];
    const submitted: JobKind[] = [];
    for (const kind of CNN_KINDS) {
      const cfg = kind === 'cnn-vision' ? this.#o.training.vision : this.#o.training.fault;
      const { jobs, registry } = this.#o;
      if (jobs.pending(cfg.model)) continue;
      const last = jobs.lastFinished(cfg.model);
      const records = await ev.store.queryEvidence({
        from: now - cfg.lookbackMs,
        to: now,
        kind: kind === 'cnn-vision' ? 'frame' : 'window',
        limit: cfg.maxSamples,
      });
      const latest = await registry.latest(cfg.model);
      await this.#catchUp(kind, cfg.model, records);
      const since = last?.runningSince ?? latest?.createdAt ?? 0;
      const fresh = records.filter((r) => r.label && r.label.at > since).length;
      const cooling =
        last?.status === 'failed' && (last.finishedAt ?? 0) > now - 5 * this.#o.training.labelPollMs && fresh === 0;
      if (cooling) continue;
      let trigger: 'first' | 'labels' | undefined;
      if (!latest) {
        const labels = records.flatMap((r) => {
          const l =
            kind === 'cnn-vision' ? frameLabel(r, ev.useSimulatorTruth)?.label : windowClass(r, ev.useSimulatorTruth);
          return l ? [l] : [];
        });
        // a classifier needs two classes: windows of healthy machines alone (all `ok`) teach nothing yet
        if (cfg.minLabelled > 0 && labels.length >= cfg.minLabelled && new Set(labels).size >= 2) trigger = 'first';
      } else if (cfg.retrainAfterLabels > 0 && fresh >= cfg.retrainAfterLabels) {
        trigger = 'labels';
      }
      if (!trigger) continue;
      const job = jobs.submit({ kind, model: cfg.model, trigger, request: {} });
      this.#o.logger.info({ job: job.id, kind, trigger, newLabels: fresh }, 'training job scheduled from labels');
      submitted.push(kind);
    }
    return submitted;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await this.#polling;
    await this.#labelPolling;
  }

  /** Submits the first training when no model exists yet and enough healthy data does; true when it did. */
  async pollFirstModel(now = Date.now()): Promise<boolean> {
    const { training, registry, jobs, store } = this.#o;
    if (jobs.pending(training.model) || (await registry.latest(training.model))) return false;
    const rows = await store.queryFeatures({
      from: now - Math.max(training.lookbackMs, training.firstTrainAfterMs),
      to: now,
    });
    if (rows.length < training.minWindows) return false;
    let span = 0;
    for (const list of byDevice(rows).values())
      span = Math.max(span, (list[list.length - 1]?.ts ?? 0) - (list[0]?.ts ?? 0));
    if (span < training.firstTrainAfterMs) return false;
    this.#submit('first');
    return true;
  }

  /** Hook for finished jobs: rolls out what an automatic job registered, when `autoRollout` is set. */
  async onJobFinished(job: JobRecord): Promise<void> {
    if (
      !this.#o.training.autoRollout ||
      job.trigger === 'api' ||
      job.status !== 'succeeded' ||
      job.version === undefined
    )
      return;
    // a CNN goes only to devices that sent it data (camera stations, machines with its sensors); K-means
    // without a device list (an old job record) to every device
    const trained = new Set(job.trainedOn ?? []);
    const devices = this.#o.directory
      .devices()
      .filter((d) => (trained.size === 0 ? job.kind === 'kmeans' : trained.has(d)));
    if (devices.length === 0) {
      // CNNs: `pollLabels` rolls it out once a device it serves has sent evidence and reported state
      this.#o.logger.warn(
        { model: job.model, version: job.version, trainedOn: job.trainedOn },
        'auto rollout waits: no device it serves has reported state',
      );
      return;
    }
    await this.#rollOut(job, devices);
  }

  async #rollOut(job: JobRecord, devices: string[]): Promise<void> {
    const auto = this.#o.training.autoRollout;
    if (!auto || job.version === undefined) return;
    const request = {
      model: job.model,
      version: job.version,
      canary: devices.slice(0, auto.canary),
      devices,
      watchMs: auto.watchMs,
    };
    if (auto.approval === 'approve') {
      this.#o.approvals.add({ ...request, job: job.id, requestedAt: Date.now() });
      this.#o.logger.info({ model: job.model, version: job.version }, 'rollout awaits approval');
      return;
    }
    const r = await this.#o.rollouts.create(request);
    this.#o.logger.info(
      { rollout: r.id, model: job.model, version: job.version, canary: r.canary },
      'auto rollout started',
    );
  }

  /**
   * A CNN an automatic job registered before any device it serves was known (the first vision model, trained on
   * an uploaded set before the camera station sent a frame): rolled out once devices have sent evidence of its
   * kind and reported state.
   */
  async #catchUp(kind: JobKind, model: string, records: { deviceId: string; reason: string }[]): Promise<void> {
    if (!this.#o.training.autoRollout) return;
    const job = this.#o.jobs
      .list()
      .find((j) => j.model === model && j.kind === kind && j.status === 'succeeded' && j.version !== undefined);
    if (!job || job.trigger === 'api' || (job.trainedOn ?? []).length > 0) return;
    if (this.#o.rollouts.list().some((r) => r.model === model && r.version === job.version)) return;
    if (this.#o.approvals.list().some((a) => a.model === model && a.version === job.version)) return;
    const known = new Set(this.#o.directory.devices());
    const devices = [...new Set(records.filter((r) => r.reason !== 'upload').map((r) => r.deviceId))]
      .filter((d) => known.has(d))
      .sort();
    if (devices.length === 0) return;
    job.trainedOn = devices;
    await this.#rollOut(job, devices);
  }

  /** A scheduled CNN retraining: only once a first model exists (the label rules train the first one). */
  async #scheduleCnn(kind: JobKind, model: string): Promise<void> {
    try {
      if (this.#o.jobs.pending(model) || !(await this.#o.registry.latest(model))) return;
      const job = this.#o.jobs.submit({ kind, model, trigger: 'schedule', request: {} });
      this.#o.logger.info({ job: job.id, kind, trigger: 'schedule' }, 'training job scheduled');
    } catch (err) {
      this.#o.logger.warn({ kind, err: (err as Error).message }, 'scheduled CNN training not submitted');
    }
  }

  #submit(trigger: 'schedule' | 'first'): void {
    const model = this.#o.training.model;
    if (this.#o.jobs.pending(model)) return;
    const job = this.#o.jobs.submit({ model, trigger, request: {} });
    this.#o.logger.info({ job: job.id, trigger }, 'training job scheduled');
  }
}
