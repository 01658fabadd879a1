import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { connect } from 'mqtt';
import { buildTopic, decodePublish, isPublishOn, topicFilter, type RawSampleBatch } from '@takt/contracts';
import { sampleManifest } from '@takt/contracts/testing';
import { computeFeatures, Windower } from '@takt/features';
import { generateSigningKey, signManifest } from '@takt/model-registry';
import { kmeansToOnnx } from '@takt/onnx';
import { boundClientId, connectClient, spawnTakt, startMosquitto, startTestBroker, tempDir } from '@takt/testing';
import type { ManagedProcess } from '@takt/runtime';
import type { BenchRow } from '../report.js';
import { Resources } from '../resources.js';

const addr = { site: 'plant-1', line: 'line-1', device: 'pump-1' };
const FEATURES = ['vibration.rms', 'vibration.peak', 'vibration.std'];

/** 100 ms of a 2 kHz vibration (amplitude ×3 while faulty) and a 10 Hz temperature starting at t0. */
function batch(t0: number, faulty: boolean, seq: number): RawSampleBatch {
  const amp = faulty ? 3 : 1;
  const vibration = Array.from(
    { length: 200 },
    (_, i) => amp * Math.sin((t0 * 2 + i) * 0.31) + 0.05 * Math.sin((t0 * 2 + i) * 1.7),
  );
  return {
    schemaVersion: 1,
    deviceId: addr.device,
    ts: t0 + 100,
    seq,
    t0,
    sensors: { vibration: { rate: 2000, values: vibration }, temperature: { rate: 10, values: [40] } },
  };
}

/** A K-means model (one centroid) fitted on healthy windows of the default window, signed. */
function fitModel(key: ReturnType<typeof generateSigningKey>): {
  manifest: ReturnType<typeof signManifest>;
  bytes: Uint8Array;
} {
  const w = new Windower({ lengthMs: 1000, hopMs: 500 });
  const rows: number[][] = [];
  for (let k = 0; k < 400; k++)
    for (const win of w.push(batch(1_767_225_600_000 + k * 100, false, k)))
      rows.push(FEATURES.map((n) => computeFeatures(win)[n] ?? 0));
  const center = FEATURES.map((_, j) => rows.reduce((a, r) => a + (r[j] ?? 0), 0) / rows.length);
  const scale = FEATURES.map(
    (_, j) => Math.sqrt(rows.reduce((a, r) => a + ((r[j] ?? 0) - (center[j] ?? 0)) ** 2, 0) / rows.length) + 0.05,
  );
  const score = (r: number[]) =>
    Math.sqrt(r.reduce((a, v, j) => a + ((v - (center[j] ?? 0)) / (scale[j] ?? 1)) ** 2, 0));
  const threshold = Math.max(...rows.map(score)) * 2 + 1;
  const bytes = kmeansToOnnx({ centroids: [FEATURES.map(() => 0)], center, scale });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { signature: _s, ...base } = sampleManifest({
    name: 'pump-anomaly',
    version: 1,
    input: {
      name: 'features',
      shape: [null, FEATURES.length],
      dtype: 'float32',
      featureNames: FEATURES,
      window: { lengthMs: 1000, hopMs: 500, sensors: ['vibration', 'temperature'] },
    },
    threshold,
    smoothing: { alpha: 0.7, openAfterMs: 0, closeAfterMs: 1000 },
    artifact: { file: 'model.onnx', sha256, bytes: bytes.length },
  });
  return { manifest: signManifest(base, key.privateKeyPem, key.keyId), bytes };
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

/** Fault onset (first faulty sample) → anomaly `open` received upstream, through a real agent process. */
export async function latencyRows(cycles = 6): Promise<BenchRow[]> {
  const res = new Resources();
  const latencies: number[] = [];
  try {
    const dir = res.add('temp folder', tempDir('takt-bench-edge-'), (d) => d.remove());
    const plant = res.add('plant mosquitto', await startMosquitto(), (b) => b.close());
    const cloud = res.add('takt-broker', await startTestBroker(), (b) => b.close());
    const key = generateSigningKey('bench');
    const { manifest, bytes } = fitModel(key);
    const dataDir = join(dir.path, 'data');
    mkdirSync(join(dataDir, 'models', 'blobs'), { recursive: true });
    writeFileSync(join(dataDir, 'models', 'blobs', `${manifest.artifact.sha256}.onnx`), bytes);
    writeFileSync(
      join(dataDir, 'models', 'active.json'),
      JSON.stringify({ [addr.device]: { 'kmeans-anomaly': manifest } }),
    );
    const config = {
      dataDir,
      source: { url: plant.url },
      upstream: { url: cloud.url, username: 'service', password: 'service-secret' },
      devices: [addr],
      rollout: { trustedKeys: { [key.keyId]: key.publicKeyPem } },
    };
    writeFileSync(join(dir.path, 'edge.json'), JSON.stringify(config));
    const agentFile = join(dataDir, 'agent.json');
    const agent: ManagedProcess = res.add(
      'takt-edge',
      spawnTakt('apps/edge-agent', ['--config', join(dir.path, 'edge.json')], {
        logFile: join(dir.path, 'agent.log'),
        ready: () =>
          Promise.resolve(existsSync(agentFile) && JSON.parse(readFileSync(agentFile, 'utf8')).pid === agent.pid),
      }),
      (a) => a.close(),
    );
    await agent.start();
    const feed = res.add('plant publisher', await connectClient(plant.url), (c) => c.end(true));
    const watcher = res.add(
      'upstream watcher',
      connect(cloud.url, { username: 'service', password: 'service-secret', clientId: boundClientId('service') }),
      (c) => c.end(true),
    );
    await new Promise((r) => watcher.once('connect', r));
    const opens: number[] = [];
    watcher.on('message', (topic, payload) => {
      const d = decodePublish(topic, payload);
      if (isPublishOn(d, 'anomaly') && d.message.state === 'open') opens.push(Date.now());
    });
    await watcher.subscribeAsync(topicFilter({ ...addr, channel: '#' }), { qos: 1 });
    let t0 = Math.ceil(Date.now() / 100) * 100;
    let seq = 0;
    for (let c = 0; c < cycles; c++) {
      const onset = t0 + 6000 + ((c * 37) % 100); // 6 s healthy (the last event closes), then the fault, starting mid-batch at a varying phase
      const before = opens.length;
      while (t0 < onset + 3000) {
        while (Date.now() < t0 + 100) await new Promise((r) => setTimeout(r, 5));
        const b = batch(t0, false, seq++);
        const split = Math.max(0, Math.min(200, Math.round(((onset - t0) / 100) * 200)));
        const faulty = batch(t0, true, 0).sensors.vibration?.values ?? [];
        b.sensors['vibration'] = {
          rate: 2000,
          values: [...(b.sensors['vibration']?.values ?? []).slice(0, split), ...faulty.slice(split)],
        };
        feed.publish(buildTopic({ ...addr, channel: 'raw' }), JSON.stringify(b));
        t0 += 100;
      }
      const opened = opens[before];
      if (opened !== undefined) latencies.push(opened - onset);
    }
  } finally {
    await res.closeAll();
  }
  const note = `${latencies.length}/${cycles} onsets detected; window 1000 ms, hop 500 ms, openAfterMs 0`;
  return [
    {
      metric: 'fault onset → anomaly open received upstream, p50',
      unit: 'ms',
      ours: pct(latencies, 50),
      peer: 2000,
      peerName: 'limit',
      target: 'p95 < 2000 ms',
      note,
    },
    {
      metric: 'fault onset → anomaly open received upstream, p95',
      unit: 'ms',
      ours: pct(latencies, 95),
      peer: 2000,
      peerName: 'limit',
      target: 'p95 < 2000 ms',
      note,
    },
  ];
}
