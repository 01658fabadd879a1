import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { computeFeatures, featureNames, type FeatureWindow } from '@takt/features';
import { kmeansToOnnx } from '@takt/onnx';
import { workspaceRoot } from '@takt/testing';
import type { BenchRow } from '../report.js';

const SENSORS = { vibration: 5000, temperature: 10, current: 10, pressure: 50, flow: 10 };

function windows(n: number): FeatureWindow[] {
  return Array.from({ length: n }, (_, k) => ({
    deviceId: 'pump-1',
    start: k * 500,
    end: k * 500 + 1000,
    sensors: Object.fromEntries(
      Object.entries(SENSORS).map(([name, rate]) => [
        name,
        {
          rate,
          values: Float64Array.from({ length: rate }, (_, i) => Math.sin(i * 0.37 + k) + 0.1 * Math.sin(i * 2.1)),
        },
      ]),
    ),
  }));
}

async function timed(seconds: number, step: () => Promise<number>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  while (performance.now() < end) done += await step();
  return done / ((performance.now() - t0) / 1000);
}

/** K-means windows per second on one core: features + score per window (the agent's path), and scoring alone in batches. */
export async function kmeansRows(): Promise<BenchRow[]> {
  const names = featureNames(SENSORS);
  const f = names.length;
  const model = kmeansToOnnx({
    centroids: Array.from({ length: 8 }, (_, c) => Array.from({ length: f }, (_, j) => Math.sin(c + j))),
    center: new Array<number>(f).fill(0),
    scale: new Array<number>(f).fill(1),
  });
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const ws = windows(16);
  let i = 0;
  let full: number;
  let scoreOnly: number;
  try {
    full = await timed(3, async () => {
      const feats = computeFeatures(ws[i++ % ws.length] as FeatureWindow);
      const x = Float32Array.from(names, (n) => feats[n] ?? 0);
      await session.run({ features: new ort.Tensor('float32', x, [1, f]) });
      return 1;
    });
    const batch = new Float32Array(64 * f).map((_, j) => Math.sin(j));
    scoreOnly = await timed(2, async () => {
      await session.run({ features: new ort.Tensor('float32', batch, [64, f]) });
      return 64;
    });
  } finally {
    await session.release();
  }
  const perDevice = 2; // default window 1000 ms, hop 500 ms: 2 windows per second per device
  return [
    {
      metric: `K-means windows/s per core, features (${f}) + score, 1 window per run`,
      unit: 'win/s',
      ours: full,
      peer: perDevice,
      peerName: 'one device at the default hop',
      target: '≥ 100 devices per core',
      note: `${Math.floor(full / perDevice)} devices per core`,
    },
    {
      metric: 'K-means scoring only, batches of 64',
      unit: 'win/s',
      ours: scoreOnly,
      peer: full,
      peerName: 'features + score',
    },
  ];
}

/** Camera frames per second, fp32 vs int8 (QDQ), 64×64 gray, batches of 8, one intra-op thread. */
export async function visionRows(): Promise<BenchRow[]> {
  const dir = join(workspaceRoot(), 'apps/edge-agent/testdata');
  const rate = async (file: string) => {
    const s = await ort.InferenceSession.create(readFileSync(join(dir, file)), {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    try {
      const x = new Float32Array(8 * 64 * 64).map((_, j) => (j % 255) / 255);
      await s.run({ image: new ort.Tensor('float32', x, [8, 64, 64, 1]) });
      return await timed(3, async () => {
        await s.run({ image: new ort.Tensor('float32', x, [8, 64, 64, 1]) });
        return 8;
      });
    } finally {
      await s.release();
    }
  };
  const fp32 = await rate('vision-64-fp32.onnx');
  const int8 = await rate('vision-64-int8.onnx');
  return [
    {
      metric: 'camera frames/s, 2-D CNN 64×64, int8 (QDQ) vs fp32, batch 8, 1 thread',
      unit: 'frames/s',
      ours: int8,
      peer: fp32,
      peerName: 'fp32 same graph',
      note: 'testdata fixture CNN (2 conv layers), not a trained model',
    },
  ];
}
