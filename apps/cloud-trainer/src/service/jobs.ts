import { randomBytes } from 'node:crypto';
import { errorCode } from '@takt/contracts';
import { SerialQueue, type Logger } from '@takt/runtime';
import type { ClassifierGateReport, GateReport, JobKind, JobRecord, JobRequest, JobTrigger } from './records.js';

/** What a finished job run reports. */
export interface JobOutcome {
  message: string;
  metrics?: Record<string, number>;
  version?: number;
  gate?: GateReport | ClassifierGateReport;
  /** devices whose windows the model was trained on: the ones it can serve */
  trainedOn?: string[];
  /** CNN jobs: label counts by source */
  labelSources?: Record<string, number>;
}

/** Reports a running job's progress: `fraction` 0..1 and what it is doing. */
export type JobProgress = (fraction: number, message: string) => void;

export interface TrainingJobsOptions {
  /** runs one job; throws to fail it (the error's `code` and message are kept) */
  run: (job: JobRecord, progress: JobProgress) => Promise<JobOutcome>;
  /** called after every change (persistence, metrics) */
  onChange: () => void;
  /** called once a job has finished, succeeded or failed */
  onFinished?: (job: JobRecord) => void;
  /** jobs loaded from the state file */
  history?: JobRecord[];
  /** most finished jobs kept; default 200 */
  keep?: number;
  logger: Logger;
}

export const newId = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/**
 * The training queue: jobs run one at a time in submission order, each with progress (0..1) and a
 * message; status goes queued → running → succeeded | failed. Jobs a restart interrupted are failed.
 */
export class TrainingJobs {
  readonly #opts: TrainingJobsOptions;
  readonly #jobs: JobRecord[];
  /** jobs run one at a time; one whose bookkeeping throws does not stop the next */
  readonly #queue = new SerialQueue();
  #closed = false;

  constructor(opts: TrainingJobsOptions) {
    this.#opts = opts;
    this.#jobs = (opts.history ?? []).map((j) =>
      j.status === 'queued' || j.status === 'running'
        ? {
            ...j,
            status: 'failed',
            finishedAt: Date.now(),
            message: 'interrupted by a service restart',
            error: { code: 'INTERRUPTED', message: 'interrupted by a service restart' },
          }
        : j,
    );
  }

  /** Queues a job; returns its record (status `queued`). */
  submit(input: { kind?: JobKind; model: string; trigger: JobTrigger; request: JobRequest }): JobRecord {
    const job: JobRecord = {
      id: newId('job'),
      kind: input.kind ?? 'kmeans',
      model: input.model,
      status: 'queued',
      progress: 0,
      message: 'queued',
      trigger: input.trigger,
      request: input.request,
      startedAt: Date.now(),
    };
    this.#jobs.push(job);
    this.#trim();
    this.#opts.onChange();
    void this.#queue
      .run(() => this.#run(job))
      .catch((err: unknown) => this.#opts.logger.error({ job: job.id, err }, 'training job bookkeeping failed'));
    return job;
  }

  /** All jobs, newest first. */
  list(): JobRecord[] {
    return [...this.#jobs].reverse();
  }

  get(id: string): JobRecord | undefined {
    return this.#jobs.find((j) => j.id === id);
  }

  /** The newest finished job of `model`, if any. */
  lastFinished(model: string): JobRecord | undefined {
    for (let i = this.#jobs.length - 1; i >= 0; i--) {
      const j = this.#jobs[i] as JobRecord;
      if (j.model === model && (j.status === 'succeeded' || j.status === 'failed')) return j;
    }
    return undefined;
  }

  /** True while a job for `model` is queued or running. */
  pending(model: string): boolean {
    return this.#jobs.some((j) => j.model === model && (j.status === 'queued' || j.status === 'running'));
  }

  /** Resolves when every job submitted so far has finished. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Stops starting queued jobs (they stay queued and fail as interrupted on the next start); waits for the running one. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.idle();
  }

  async #run(job: JobRecord): Promise<void> {
    if (this.#closed) return;
    const log = this.#opts.logger.child({ job: job.id, model: job.model });
    Object.assign(job, { status: 'running', runningSince: Date.now(), message: 'starting' });
    this.#opts.onChange();
    let lastChange = 0;
    const progress: JobProgress = (fraction, message) => {
      job.progress = Math.max(job.progress, Math.min(1, Math.max(0, fraction)));
      job.message = message;
      if (Date.now() - lastChange >= 250) {
        lastChange = Date.now();
        this.#opts.onChange();
      }
    };
    try {
      const out = await this.#opts.run(job, progress);
      Object.assign(job, { status: 'succeeded', progress: 1, ...out });
      log.info({ version: out.version, message: out.message }, 'training job succeeded');
    } catch (err) {
      const error = { code: errorCode(err, 'ERROR'), message: (err as Error).message };
      Object.assign(job, { status: 'failed', message: error.message, error });
      log.warn({ err: error }, 'training job failed');
    }
    job.finishedAt = Date.now();
    this.#opts.onChange();
    try {
      this.#opts.onFinished?.(job);
    } catch (err) {
      log.error({ err }, 'job completion hook failed');
    }
  }

  #trim(): void {
    const keep = this.#opts.keep ?? 200;
    while (this.#jobs.length > keep) {
      const i = this.#jobs.findIndex((j) => j.status === 'succeeded' || j.status === 'failed');
      if (i < 0) break;
      this.#jobs.splice(i, 1);
    }
  }
}
