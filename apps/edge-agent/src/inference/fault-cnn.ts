import type { ModelManifest } from '@takt/contracts';
import { resample, type FeatureWindow } from '@takt/features';
import { EdgeError } from '../errors.js';
import type { LoadedModel } from './loaded-model.js';

export interface FaultInputSpec {
  /** samples per channel the model takes */
  length: number;
  /** sensors in channel order */
  sensors: string[];
}

/** Input layout of a 1-D CNN fault model: [N, length, channels] with sensors from `input.window.sensors`. */
export function faultInputSpec(m: ModelManifest): FaultInputSpec {
  const [, length, channels] = m.input.shape;
  const sensors = m.input.window?.sensors;
  if (
    m.input.shape.length !== 3 ||
    typeof length !== 'number' ||
    typeof channels !== 'number' ||
    !sensors ||
    sensors.length !== channels
  ) {
    throw new EdgeError(
      'UNSUPPORTED_MODEL',
      `cnn-fault model ${m.name} v${m.version} needs input shape [N, length, channels] and window.sensors of that many channels`,
    );
  }
  return { length, sensors };
}

/** One window as the model's channels-last input, or undefined when a sensor is missing. */
export function faultInput(window: FeatureWindow, spec: FaultInputSpec): Float32Array | undefined {
  const data = new Float32Array(spec.length * spec.sensors.length);
  for (let c = 0; c < spec.sensors.length; c++) {
    const s = window.sensors[spec.sensors[c] as string];
    if (!s) return undefined;
    const r = resample(s.values, spec.length);
    for (let i = 0; i < spec.length; i++) data[i * spec.sensors.length + c] = r[i] as number;
  }
  return data;
}

export interface Classification {
  label: string;
  confidence: number;
  scores: Record<string, number>;
}

/** Turns class probabilities [N, classes] into labels; throws `EdgeError('BAD_OUTPUT')` on a wrong shape or NaN. */
export function classify(m: ModelManifest, probs: Float64Array, n: number): Classification[] {
  const classes = m.classes ?? [];
  if (classes.length === 0 || probs.length !== n * classes.length) {
    throw new EdgeError(
      'BAD_OUTPUT',
      `model ${m.name} v${m.version} returned ${probs.length} values for ${n} × ${classes.length} classes`,
    );
  }
  const out: Classification[] = [];
  for (let i = 0; i < n; i++) {
    const scores: Record<string, number> = {};
    let best = 0;
    for (let k = 0; k < classes.length; k++) {
      const p = probs[i * classes.length + k] as number;
      if (!Number.isFinite(p))
        throw new EdgeError('BAD_OUTPUT', `model ${m.name} v${m.version} returned ${p} for class ${classes[k]}`);
      scores[classes[k] as string] = p;
      if (p > (probs[i * classes.length + best] as number)) best = k;
    }
    out.push({
      label: classes[best] as string,
      confidence: Math.min(1, Math.max(0, probs[i * classes.length + best] as number)),
      scores,
    });
  }
  return out;
}

/** Classifies a batch of raw windows with a 1-D CNN. */
export async function classifyWindows(
  model: LoadedModel,
  inputs: Float32Array[],
  spec: FaultInputSpec,
): Promise<Classification[]> {
  const per = spec.length * spec.sensors.length;
  const data = new Float32Array(inputs.length * per);
  inputs.forEach((x, i) => data.set(x, i * per));
  const out = await model.run(data, [inputs.length, spec.length, spec.sensors.length]);
  const probs = out.values[model.manifest.outputs[0]?.name ?? ''] ?? new Float64Array(0);
  return classify(model.manifest, probs, inputs.length);
}
