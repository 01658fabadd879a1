import type { ModelManifest } from '@takt/contracts';
import { EdgeError } from '../errors.js';
import { faultInput, faultInputSpec } from '../inference/fault-cnn.js';
import { featureVector, modelFeatureNames } from '../inference/kmeans.js';
import type { LoadedModel } from '../inference/loaded-model.js';
import { imageToInput, visionInputSize } from '../inference/vision.js';
import type { RecordedInputs } from '../device/device-models.js';

/** One input of batch 1 for a model: the device's recorded window when there is one, else a neutral one. */
export function smokeInput(m: ModelManifest, recorded: RecordedInputs): { data: Float32Array; dims: number[] } {
  if (m.kind === 'kmeans-anomaly') {
    const names = modelFeatureNames(m);
    if (!recorded.features) return { data: new Float32Array(names.length), dims: [1, names.length] };
    const { vector, missing } = featureVector(recorded.features, names);
    if (missing.length > 0) throw new EdgeError('SMOKE_TEST_FAILED', `model ${m.name} v${m.version} wants features this device does not produce: ${missing.slice(0, 5).join(', ')}`);
    return { data: vector, dims: [1, names.length] };
  }
  if (m.kind === 'cnn-fault') {
    const spec = faultInputSpec(m);
    const data = (recorded.window && faultInput(recorded.window, spec)) ?? new Float32Array(spec.length * spec.sensors.length);
    return { data, dims: [1, spec.length, spec.sensors.length] };
  }
  const { height, width } = visionInputSize(m);
  const data = new Float32Array(height * width).fill(0.5);
  if (recorded.frame) imageToInput(recorded.frame, height, width, data);
  return { data, dims: [1, height, width, 1] };
}

/**
 * Runs a freshly loaded model on a recorded window: every output present with the manifest's
 * shape, all values finite, the faster of two runs within `budgetMs`.
 * Throws `EdgeError('SMOKE_TEST_FAILED')` saying what was wrong.
 */
export async function smokeTest(model: LoadedModel, recorded: RecordedInputs, budgetMs: number): Promise<{ latencyMs: number }> {
  const m = model.manifest;
  const what = `model ${m.name} v${m.version}`;
  const input = smokeInput(m, recorded);
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    let out;
    try {
      out = await model.run(input.data, input.dims);
    } catch (err) {
      throw new EdgeError('SMOKE_TEST_FAILED', `${what} fails on a recorded window: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    best = Math.min(best, out.latencyMs);
    for (const o of m.outputs) {
      const dims = out.dims[o.name] ?? [];
      const want = o.shape.map((d, j) => (j === 0 ? 1 : d));
      const ok = dims.length === want.length && want.every((d, j) => d === null || d === dims[j]);
      if (!ok) throw new EdgeError('SMOKE_TEST_FAILED', `${what} output ${o.name} has shape [${dims.join(', ')}], manifest says [${want.map((d) => d ?? 'N').join(', ')}]`);
      const values = out.values[o.name] ?? new Float64Array(0);
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new EdgeError('SMOKE_TEST_FAILED', `${what} output ${o.name}[${bad}] is ${values[bad]}`);
    }
  }
  if (best > budgetMs) throw new EdgeError('SMOKE_TEST_FAILED', `${what} took ${best.toFixed(1)} ms on one window, budget ${budgetMs} ms`);
  return { latencyMs: best };
}
