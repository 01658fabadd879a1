import type { ModelManifest } from '@takt/contracts';
import type { RecordedInputs } from '../device/device-models.js';
import { EdgeError } from '../errors.js';
import type { LoadedModel } from '../inference/loaded-model.js';
import { kindRunner } from '../inference/model-kinds.js';

/**
 * One input of batch 1 for a model (its kind's `smokeInput`): the device's recorded window when there
 * is one, else a neutral one. A kind this agent does not know throws `EdgeError('UNSUPPORTED_MODEL')`.
 */
export function smokeInput(m: ModelManifest, recorded: RecordedInputs): { data: Float32Array; dims: number[] } {
  return kindRunner(m).smokeInput(m, recorded);
}

/**
 * Runs a freshly loaded model on a recorded window: every output present with the manifest's
 * shape, all values finite, the faster of two runs within `budgetMs`.
 * Throws `EdgeError('SMOKE_TEST_FAILED')` saying what was wrong.
 */
export async function smokeTest(
  model: LoadedModel,
  recorded: RecordedInputs,
  budgetMs: number,
): Promise<{ latencyMs: number }> {
  const m = model.manifest;
  const what = `model ${m.name} v${m.version}`;
  const input = smokeInput(m, recorded);
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    let out;
    try {
      out = await model.run(input.data, input.dims);
    } catch (err) {
      throw new EdgeError(
        'SMOKE_TEST_FAILED',
        `${what} fails on a recorded window: ${(err as Error).message.split('\n')[0]}`,
        { cause: err },
      );
    }
    best = Math.min(best, out.latencyMs);
    for (const o of m.outputs) {
      const dims = out.dims[o.name] ?? [];
      const want = o.shape.map((d, j) => (j === 0 ? 1 : d));
      const ok = dims.length === want.length && want.every((d, j) => d === null || d === dims[j]);
      if (!ok)
        throw new EdgeError(
          'SMOKE_TEST_FAILED',
          `${what} output ${o.name} has shape [${dims.join(', ')}], manifest says [${want.map((d) => d ?? 'N').join(', ')}]`,
        );
      const values = out.values[o.name] ?? new Float64Array(0);
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new EdgeError('SMOKE_TEST_FAILED', `${what} output ${o.name}[${bad}] is ${values[bad]}`);
    }
  }
  if (best > budgetMs)
    throw new EdgeError('SMOKE_TEST_FAILED', `${what} took ${best.toFixed(1)} ms on one window, budget ${budgetMs} ms`);
  return { latencyMs: best };
}
