import * as ort from 'onnxruntime-node';
import { TrainerError } from '../errors.js';

/** rows per `session.run` */
const BATCH = 256;

/** Runs an exported classifier (fp32 or int8) with onnxruntime-node: probabilities per class. */
export class OnnxClassifier {
  readonly #session: ort.InferenceSession;
  readonly #input: string;
  readonly #output: string;

  private constructor(session: ort.InferenceSession) {
    this.#session = session;
    this.#input = session.inputNames[0] as string;
    this.#output = session.outputNames[0] as string;
  }

  /** Throws `TrainerError('BAD_MODEL')` when onnxruntime refuses the bytes. */
  static async create(model: Uint8Array): Promise<OnnxClassifier> {
    try {
      return new OnnxClassifier(await ort.InferenceSession.create(model, { executionProviders: ['cpu'] }));
    } catch (err) {
      throw new TrainerError('BAD_MODEL', `onnxruntime cannot load the classifier: ${(err as Error).message}`);
    }
  }

  /** Class probabilities for `n` samples of shape `sampleShape`, laid out one after another in `x`. */
  async predict(x: Float32Array, sampleShape: number[], classes: number): Promise<Float32Array> {
    const per = sampleShape.reduce((a, b) => a * b, 1);
    const n = x.length / per;
    const out = new Float32Array(n * classes);
    for (let start = 0; start < n; start += BATCH) {
      const m = Math.min(BATCH, n - start);
      const input = new ort.Tensor('float32', x.subarray(start * per, (start + m) * per), [m, ...sampleShape]);
      const res = await this.#session.run({ [this.#input]: input });
      out.set(res[this.#output]?.data as Float32Array, start * classes);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

/** argmax per row and its probability. */
export function topClass(probs: Float32Array, classes: number): { index: Int32Array; confidence: Float32Array } {
  const n = probs.length / classes;
  const index = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((probs[i * classes + c] as number) > (probs[i * classes + best] as number)) best = c;
    index[i] = best;
    confidence[i] = probs[i * classes + best] as number;
  }
  return { index, confidence };
}

export function accuracy(predicted: Int32Array, truth: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) ok++;
  return truth.length === 0 ? 0 : ok / truth.length;
}
