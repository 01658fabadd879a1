import type { Channel } from '../topics.js';
import type { MessageInput } from '../channels.js';
import type { ModelManifest } from '../messages/cloud.js';

/** A fixed instant so fixtures are deterministic: 2026-01-01T00:00:00Z. */
export const FIXTURE_TS = 1_767_225_600_000;

const env = (deviceId = 'press-01', seq = 0) => ({ schemaVersion: 1 as const, deviceId, ts: FIXTURE_TS, seq });

/** A valid, signed-looking manifest for tests. */
export function sampleManifest(overrides: Partial<ModelManifest> = {}): ModelManifest {
  return {
    schemaVersion: 1,
    name: 'pump-anomaly',
    kind: 'kmeans-anomaly',
    version: 3,
    createdAt: FIXTURE_TS,
    input: {
      name: 'features',
      shape: [null, 2],
      dtype: 'float32',
      featureNames: ['rms', 'kurtosis'],
      scaling: { center: [0, 0], scale: [1, 1] },
    },
    outputs: [
      { name: 'score', shape: [null] },
      { name: 'cluster', shape: [null] },
    ],
    threshold: 2.5,
    smoothing: { alpha: 0.3, openAfterMs: 1000, closeAfterMs: 3000 },
    training: { samples: 1000, source: 'influxdb' },
    metrics: { falseAlarmRate: 0.001 },
    artifact: { file: 'model.onnx', sha256: 'a'.repeat(64), bytes: 1234 },
    signature: { alg: 'ed25519', keyId: 'takt-2026', value: 'c2lnbmF0dXJl' },
    ...overrides,
  };
}

/** One valid message for every channel, addressed to `deviceId`. */
export function sampleMessage<C extends Channel>(channel: C, deviceId = 'press-01', seq = 0): MessageInput<C> {
  const e = env(deviceId, seq);
  const all: { [K in Channel]: MessageInput<K> } = {
    raw: {
      ...e,
      t0: FIXTURE_TS - 100,
      sensors: {
        vibration: { rate: 1000, unit: 'g', values: [0.1, -0.2, 0.05] },
        temperature: { rate: 10, unit: 'C', values: [41.5] },
      },
    },
    camera: {
      ...e,
      frameId: 'f-1',
      width: 2,
      height: 2,
      encoding: 'gray8',
      data: Buffer.from([0, 64, 128, 255]).toString('base64'),
      truth: 'ok',
    },
    telemetry: { ...e, intervalMs: 1000, values: { temperature: 41.5, current: 12.1 } },
    features: {
      ...e,
      windowStart: FIXTURE_TS - 1000,
      windowEnd: FIXTURE_TS,
      features: { 'vibration.rms': 0.3 },
      score: 0.4,
      model: { name: 'pump-anomaly', version: 3 },
    },
    anomaly: {
      ...e,
      eventId: 'evt-1',
      state: 'open',
      model: { name: 'pump-anomaly', version: 3 },
      score: 4.2,
      threshold: 2.5,
      openedAt: FIXTURE_TS,
    },
    inspection: { ...e, frameId: 'f-1', label: 'scratch', confidence: 0.93, model: { name: 'vision', version: 2 } },
    evidence: {
      ...e,
      evidenceId: 'ev-1',
      kind: 'frame',
      reason: 'uncertain',
      frame: {
        frameId: 'f-1',
        width: 2,
        height: 2,
        encoding: 'gray8',
        data: Buffer.from([0, 64, 128, 255]).toString('base64'),
      },
      model: { name: 'vision', version: 2 },
      prediction: { label: 'scratch', confidence: 0.41 },
    },
    state: {
      ...e,
      status: 'online',
      models: [{ name: 'pump-anomaly', kind: 'kmeans-anomaly', version: 3, provider: 'cpu', since: FIXTURE_TS }],
      provider: 'cpu',
      outboxDepth: 0,
      shed: 0,
    },
    heartbeat: { ...e, uptimeS: 12.5, outboxDepth: 0 },
    truth: { ...e, faultId: 'fault-1', fault: 'bearing-wear', state: 'start', severity: 0.8 },
    label: { ...e, labelId: 'lbl-1', target: 'anomaly', refId: 'evt-1', label: 'false-alarm', by: 'alice' },
    'model/desired': {
      ...e,
      rolloutId: 'ro-1',
      manifest: sampleManifest(),
      artifactUrl: 'http://registry.local:8080/models/pump-anomaly/3/model.onnx',
    },
  };
  return structuredClone(all[channel]);
}
export * from './telemetry-texts.js';
