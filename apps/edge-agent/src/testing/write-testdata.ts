/**
 * Writes the fixture models to apps/edge-agent/testdata/ (run from the repo root):
 *   node --conditions=@takt/source --import tsx apps/edge-agent/src/testing/write-testdata.ts
 * Benchmarks and manual runs read these files; the tests build the same graphs in memory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultCnnModel, kmeansModel, visionCnnModel } from './onnx-models.js';

const out = join(process.cwd(), 'apps/edge-agent/testdata');
mkdirSync(out, { recursive: true });
const files: Record<string, Uint8Array> = {
  'kmeans-2x2.onnx': kmeansModel({
    centroids: [
      [0, 0],
      [3, 4],
    ],
    center: [1, 1],
    scale: [2, 2],
  }),
  'kmeans-nan.onnx': kmeansModel({ centroids: [[0, 0]], center: [0, 0], scale: [1, 1], poison: 'nan' }),
  'fault-cnn-256x2.onnx': faultCnnModel({ length: 256, channels: 2, classes: 4 }),
  'vision-64-fp32.onnx': visionCnnModel({ height: 64, width: 64, classes: 5, filters: 16 }),
  'vision-64-int8.onnx': visionCnnModel({ height: 64, width: 64, classes: 5, filters: 16, int8: true }),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(out, name), bytes);
process.stdout.write(`wrote ${Object.keys(files).length} models to ${out}\n`);
