import type { JobRecord, RolloutRecord } from './records.js';

const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
const STAGES = ['canary', 'promoted', 'rolled-back', 'failed'] as const;

export interface MetricsInput {
  jobs: readonly JobRecord[];
  rollouts: readonly RolloutRecord[];
  driftChecks: number;
  driftEvents: number;
  mqttConnected: boolean;
}

function gauge(name: string, help: string, samples: [labels: string, value: number][]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${samples.map(([l, v]) => `${name}${l} ${v}`).join('\n')}\n`;
}

/** Prometheus text exposition: jobs by status, rollouts by stage, last training duration, drift checks. */
export function renderMetrics(m: MetricsInput): string {
  const lastDone = m.jobs
    .filter((j) => j.status === 'succeeded' && j.runningSince !== undefined && j.finishedAt !== undefined)
    .sort((a, b) => (b.finishedAt as number) - (a.finishedAt as number))[0];
  const lastSeconds = lastDone ? ((lastDone.finishedAt as number) - (lastDone.runningSince as number)) / 1000 : 0;
  return [
    gauge(
      'takt_trainer_jobs',
      'Training jobs by status.',
      JOB_STATUSES.map((s) => [`{status="${s}"}`, m.jobs.filter((j) => j.status === s).length]),
    ),
    gauge(
      'takt_trainer_rollouts',
      'Rollouts by stage.',
      STAGES.map((s) => [`{stage="${s}"}`, m.rollouts.filter((r) => r.stage === s).length]),
    ),
    gauge(
      'takt_trainer_last_training_seconds',
      'Duration of the last successful training job, seconds (0 when none).',
      [['', lastSeconds]],
    ),
    gauge('takt_trainer_drift_checks', 'Drift checks run since start.', [['', m.driftChecks]]),
    gauge('takt_trainer_drift_events', 'Drift events raised since start.', [['', m.driftEvents]]),
    gauge('takt_trainer_mqtt_connected', '1 while connected to the broker.', [['', m.mqttConnected ? 1 : 0]]),
  ].join('');
}
