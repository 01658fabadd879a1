import type { WindowSpec } from '@takt/contracts';
import type { ManifestDraft } from '../model-dir.js';
import type { FittedAnomalyModel } from './fit.js';

export interface AnomalyManifestMeta {
  name: string;
  version: number;
  /** machine group the model is for */
  group?: string;
  /** where the training data came from, e.g. `csv:machine_temperature.csv` or `influxdb:takt` */
  source: string;
  /** training data time range, ms */
  from?: number;
  to?: number;
  /** how the edge cuts windows for this model (feature windows from raw samples) */
  window?: WindowSpec;
  /** tfjs / training backend note, e.g. `ts-kmeans` */
  backend?: string;
  /** extra metrics, e.g. evaluation results */
  metrics?: Record<string, number>;
}

/** The manifest of a trained K-means model (artifact refs and signature are added on write/register). */
export function anomalyManifest(model: FittedAnomalyModel, meta: AnomalyManifestMeta): ManifestDraft {
  const f = model.featureNames.length;
  return {
    schemaVersion: 1,
    name: meta.name,
    kind: 'kmeans-anomaly',
    detector: model.detector,
    version: meta.version,
    createdAt: Date.now(),
    ...(meta.group ? { group: meta.group } : {}),
    input: {
      name: 'features',
      shape: [null, f],
      dtype: 'float32',
      featureNames: model.featureNames,
      ...(meta.window ? { window: meta.window } : {}),
      scaling: { center: model.scaling.center, scale: model.scaling.scale },
    },
    outputs: [
      { name: 'score', shape: [null] },
      { name: 'cluster', shape: [null] },
    ],
    threshold: model.threshold,
    smoothing: model.smoothing,
    training: {
      ...(meta.from !== undefined ? { from: meta.from } : {}),
      ...(meta.to !== undefined ? { to: meta.to } : {}),
      samples: model.samples,
      source: meta.source.slice(0, 256),
      backend: meta.backend ?? 'typescript k-means (float64); scored by onnxruntime-node cpu',
      durationMs: model.durationMs,
    },
    metrics: { ...model.metrics, ...meta.metrics },
  };
}
