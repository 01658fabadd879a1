import * as ort from 'onnxruntime-node';
import { TrainerError } from '../errors.js';
import type { Matrix } from './matrix.js';

export interface AnomalyScores {
  /** distance to the nearest centroid, per row */
  score: Float64Array;
  /** index of the nearest centroid, per row */
  cluster: Int32Array;
}

/** rows per `session.run`; bounds the input tensor to a few MiB */
const BATCH_ROWS = 8192;

/**
 * Runs an exported K-means ONNX graph (input `features` [N, F] → `score` [N], `cluster` [N]) with
 * onnxruntime-node on the CPU: the very artifact the edge runs, so the trainer's threshold and
 * evaluation come from the edge's own arithmetic (float32).
 */
export class OnnxAnomalyScorer {
  readonly #session: ort.InferenceSession;
  readonly inputName: string;
  readonly features: number;

  private constructor(session: ort.InferenceSession, inputName: string, features: number) {
    this.#session = session;
    this.inputName = inputName;
    this.features = features;
  }

  /** Loads the graph; throws `TrainerError('BAD_MODEL')` when onnxruntime refuses it or it lacks `score`. */
  static async create(model: Uint8Array, features: number, inputName = 'features'): Promise<OnnxAnomalyScorer> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new TrainerError('BAD_MODEL', `onnxruntime cannot load the K-means model: ${(err as Error).message}`);
    }
    if (!session.inputNames.includes(inputName) || !session.outputNames.includes('score')) {
      await session.release();
      throw new TrainerError(
        'BAD_MODEL',
        `K-means model has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; expected input "${inputName}" and output "score"`,
      );
    }
    return new OnnxAnomalyScorer(session, inputName, features);
  }

  /** Scores every row of `m` (raw, unscaled features in manifest order). */
  async score(m: Matrix): Promise<AnomalyScores> {
    if (m.cols !== this.features)
      throw new TrainerError('FEATURE_MISMATCH', `model takes ${this.features} features, got ${m.cols}`);
    const score = new Float64Array(m.rows);
    const cluster = new Int32Array(m.rows);
    for (let start = 0; start < m.rows; start += BATCH_ROWS) {
      const n = Math.min(BATCH_ROWS, m.rows - start);
      const input = Float32Array.from(m.data.subarray(start * m.cols, (start + n) * m.cols));
      const out = await this.#session.run({ [this.inputName]: new ort.Tensor('float32', input, [n, m.cols]) });
      score.set(out['score']?.data as Float32Array, start);
      const c = out['cluster']?.data;
      if (c) cluster.set(Array.from(c as BigInt64Array, Number), start);
    }
    return { score, cluster };
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}
