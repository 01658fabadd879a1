/**
 * Measures what a device sends upstream at the evidence defaults, per channel, over simulated plant
 * input: a `takt-sim record` folder (raw.jsonl, camera.jsonl) replayed in a loop, timestamps shifted
 * so the data stays contiguous, through the real DevicePipeline. The evidence budget runs on data
 * time, as it would on a box fed in real time. Run from the repo root:
 *
 *   node --conditions=@takt/source --import tsx simulators/plant/src/main.ts record \
 *     --plant simulators/plant/plants/demo.json --seed 1 --duration 20 --out /tmp/rec
 *   node --conditions=@takt/source --import tsx apps/edge-agent/src/testing/evidence-bandwidth.ts \
 *     /tmp/rec pump-1,cam-1 3600 [uncertain]
 *
 * `uncertain` also runs a (random, untrained) vision model on the camera frames with the default
 * threshold: every frame is unsure, the worst case for the camera's evidence.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, type CameraFrame, type RawSampleBatch } from '@takt/contracts';
import { sampleManifest } from '@takt/contracts/testing';
import { createLogger } from '@takt/runtime';
import { agentConfigSchema } from '../config.js';
import { DeviceModels } from '../device/device-models.js';
import { DevicePipeline } from '../device/device-pipeline.js';
import { LoadedModel } from '../inference/loaded-model.js';
import { loadOrt } from '../inference/ort.js';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import { UpstreamEmitter } from '../upstream/emitter.js';
import { visionCnnModel } from './onnx-models.js';

const [dir = '/tmp/rec', deviceList = 'pump-1,cam-1', seconds = '3600', mode = ''] = process.argv.slice(2);
const lines = (file: string) =>
  readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
const raws = lines('raw.jsonl').map((l) => decode('raw', Buffer.from(l)));
const frames = lines('camera.jsonl').map((l) => decode('camera', Buffer.from(l)));

async function measure(device: string): Promise<void> {
  const outbox = new MemoryOutbox({ maxBytes: 1 << 30 });
  const config = agentConfigSchema.parse({
    dataDir: '/unused',
    source: { url: 'mqtt://127.0.0.1:1' },
    outbox: { kind: 'memory' },
  });
  const models = new DeviceModels();
  let now = 0;
  if (mode === 'uncertain') {
    const vm = sampleManifest({
      name: 'v',
      kind: 'cnn-vision',
      version: 1,
      input: { name: 'image', shape: [null, 64, 64, 1], dtype: 'float32' },
      outputs: [{ name: 'probs', shape: [null, 5] }],
      classes: ['ok', 'scratch', 'pit', 'crack', 'stain'],
    });
    models.swap(
      await LoadedModel.load(await loadOrt(), visionCnnModel({ height: 64, width: 64, classes: 5 }), vm, {
        providers: ['cpu'],
      }),
    );
  }
  const pipeline = new DevicePipeline({
    address: { site: 's', line: 'l', device },
    models,
    emitter: new UpstreamEmitter(outbox),
    config,
    logger: createLogger('bandwidth', { level: 'warn' }),
    onError: (e) => process.stderr.write(`${e.message}\n`),
    onModelFailure: () => undefined,
    evidence: { now: () => now },
  });
  const own = { raw: raws.filter((b) => b.deviceId === device), frames: frames.filter((f) => f.deviceId === device) };
  const first = own.raw[0]?.t0 ?? own.frames[0]?.ts ?? 0;
  const span =
    Math.max(...own.raw.map((b) => b.ts), ...own.frames.map((f) => f.ts)) - first + (own.raw.length > 0 ? 0 : 500);
  const loops = Math.ceil((Number(seconds) * 1000) / span);
  for (let k = 0; k < loops; k++) {
    const shift = k * span;
    for (const b of own.raw) {
      now = b.t0 + shift - first;
      await pipeline.onRaw({ ...b, t0: b.t0 + shift, ts: b.ts + shift } as RawSampleBatch);
    }
    for (const f of own.frames) {
      now = f.ts + shift - first;
      pipeline.onFrame({ ...f, ts: f.ts + shift, frameId: `${f.frameId}-${k}` } as CameraFrame);
      await pipeline.idle();
      await new Promise((r) => setImmediate(r));
    }
  }
  await pipeline.idle();
  const durationS = (loops * span) / 1000;
  const bytes: Record<string, number> = {};
  for (const e of outbox.pending(0, 1e9))
    bytes[e.channel] = (bytes[e.channel] ?? 0) + e.payload.byteLength + Buffer.byteLength(e.topic);
  const upstream = Object.entries(bytes)
    .filter(([c]) => c !== 'evidence')
    .reduce((a, [, n]) => a + n, 0);
  const perS = (n = 0) => (n / durationS).toFixed(1);
  process.stdout.write(
    `${device}: ${durationS.toFixed(0)} s of data${mode ? ` (${mode})` : ''}\n` +
      Object.entries(bytes)
        .map(([c, n]) => `  ${c.padEnd(11)} ${perS(n).padStart(9)} B/s`)
        .join('\n') +
      `\n  evidence share: ${upstream > 0 ? (((bytes['evidence'] ?? 0) / upstream) * 100).toFixed(1) + ' % of the other upstream bytes' : 'no other upstream channel'}` +
      `\n  evidence counts: ${JSON.stringify(pipeline.evidence?.counts())}\n`,
  );
  await models.releaseAll();
}

for (const d of deviceList.split(',')) await measure(d);
