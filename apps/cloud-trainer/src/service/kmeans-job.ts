import type { ModelManifest } from '@takt/contracts';
import type { ModelRegistry } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import type { TelemetryStore } from '@takt/telemetry-store';
import { fitAnomalyModel, type FittedAnomalyModel } from '../anomaly/fit.js';
import { anomalyManifest } from '../anomaly/manifest.js';
import type { ProgressReporter } from '../progress.js';
import type { TrainerServiceConfig } from './config.js';
import type { JobOutcome, JobProgress } from './jobs.js';
import { runGate, type GateModel } from './promotion-gate.js';
import type { GateReport, JobRecord } from './records.js';
import { buildTrainingSet, type TrainingSet } from './training-data.js';

export interface KmeansJobDeps {
  store: TelemetryStore;
  registry: ModelRegistry;
  training: TrainerServiceConfig['training'];
  logger: Logger;
}

/** Maps `fitAnomalyModel`'s phases onto the job's progress between `lo` and `hi`. */
export function progressBetween(progress: JobProgress, lo: number, hi: number): ProgressReporter {
  return {
    phase: (label, total) => {
      let done = 0;
      return {
        tick: (_info, n = 1) => {
          done += n;
          progress(lo + ((hi - lo) * Math.min(done, total)) / Math.max(1, total), label);
        },
        done: () => progress(hi, label),
      };
    },
  };
}

/** The current model as the gate scores it; undefined when there is none of kind kmeans-anomaly. */
async function currentGateModel(
  registry: ModelRegistry,
  current: ModelManifest | undefined,
): Promise<GateModel | undefined> {
  if (
    !current ||
    current.kind !== 'kmeans-anomaly' ||
    current.threshold === undefined ||
    !current.smoothing ||
    !current.input.featureNames
  )
    return undefined;
  return {
    version: current.version,
    onnx: await registry.readArtifact(current),
    featureNames: current.input.featureNames,
    threshold: current.threshold,
    smoothing: current.smoothing,
  };
}

function gateMetrics(gate: GateReport): Record<string, number> {
  return {
    eval_healthy_windows: gate.healthyWindows,
    eval_fault_windows: gate.faultWindows,
    eval_false_alarm_rate: gate.candidate.falseAlarmRate,
    eval_false_alarm_events: gate.candidate.falseAlarmEvents,
    ...(gate.candidate.detectionRate === undefined ? {} : { eval_detection_rate: gate.candidate.detectionRate }),
  };
}

async function register(
  deps: KmeansJobDeps,
  job: JobRecord,
  set: TrainingSet,
  fitted: FittedAnomalyModel,
  version: number,
  gate: GateReport,
): Promise<ModelManifest> {
  const sensors = [
    ...new Set(fitted.featureNames.map((n) => (n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : n))),
  ].sort();
  const draft = anomalyManifest(fitted, {
    name: job.model,
    version,
    ...(deps.training.group ? { group: deps.training.group } : {}),
    source: `influxdb:${deps.store.database} devices=${set.devices.join(',')}`,
    from: set.from,
    to: set.to,
    window: { ...set.window, sensors },
    metrics: gateMetrics(gate),
  });
  return deps.registry.register({ manifest: draft, artifact: fitted.onnx });
}

/**
 * One K-means training job: healthy and labelled windows from InfluxDB → training set → fit (ONNX
 * export and threshold) → promotion gate against the current model on the same held-out windows →
 * register (signed) only when the gate passes. Every step is a `model_events` point.
 */
export async function runKmeansJob(deps: KmeansJobDeps, job: JobRecord, progress: JobProgress): Promise<JobOutcome> {
  const to = job.request.to ?? Date.now();
  const from = job.request.from ?? to - deps.training.lookbackMs;
  progress(0.02, `reading feature windows ${new Date(from).toISOString()} .. ${new Date(to).toISOString()}`);
  const windows = await deps.store.queryTrainingWindows({
    from,
    to,
    ...(job.request.devices ? { devices: job.request.devices } : {}),
  });
  const set = buildTrainingSet(windows.healthy, windows.labelled, {
    minWindows: deps.training.minWindows,
    evaluationFraction: deps.training.evaluationFraction,
  });
  progress(
    0.1,
    `fitting k-means on ${set.fit.reduce((n, s) => n + s.features.rows, 0)} windows of ${set.devices.length} devices, ${set.featureNames.length} features`,
  );
  const fitted = await fitAnomalyModel(set.fit, {
    featureNames: set.featureNames,
    targetFalseAlarmRate: deps.training.targetFalseAlarmRate,
    seed: deps.training.seed,
    constantColumns: 'drop',
    progress: progressBetween(progress, 0.1, 0.75),
  });
  const current = await deps.registry.latest(job.model);
  const version = (current?.version ?? 0) + 1;
  const trained = { ...fitted.metrics, windows: set.healthyWindows, features: fitted.featureNames.length };
  await deps.store.writeModelEvent({
    kind: 'trained',
    model: job.model,
    version,
    detail: {
      job: job.id,
      metrics: trained,
      from: set.from,
      to: set.to,
      devices: set.devices,
      dropped: set.droppedFeatures.slice(0, 50),
    },
  });
  progress(0.8, 'evaluating candidate against the current model');
  const candidate: GateModel = {
    version,
    onnx: fitted.onnx,
    featureNames: fitted.featureNames,
    threshold: fitted.threshold,
    smoothing: fitted.smoothing,
  };
  const gate = await runGate(
    candidate,
    await currentGateModel(deps.registry, current),
    set.evaluation,
    deps.training.gateSlack,
  );
  await deps.store.writeModelEvent({
    kind: gate.passed ? 'gate-passed' : 'gate-refused',
    model: job.model,
    version,
    detail: { job: job.id, ...gate },
  });
  const metrics = { ...trained, ...gateMetrics(gate) };
  if (!gate.passed) return { message: `candidate v${version} refused: ${gate.reason}`, metrics, gate };
  progress(0.9, `registering v${version}`);
  const manifest = await register(deps, job, set, fitted, version, gate);
  await deps.store.writeModelEvent({
    kind: 'registered',
    model: job.model,
    version,
    detail: {
      job: job.id,
      sha256: manifest.artifact.sha256,
      bytes: manifest.artifact.bytes,
      keyId: manifest.signature?.keyId,
    },
  });
  deps.logger.info({ model: job.model, version, gate: gate.reason }, 'model registered');
  return { message: `registered v${version} (${gate.reason})`, metrics, version, gate, trainedOn: set.devices };
}
