import type { ExecutionProvider, ModelManifest } from '@takt/contracts';
import { EdgeError } from '../errors.js';
import { createSession, type Ort, type OrtSession, type OrtTensor, type SessionOptions } from './ort.js';

export interface ModelOutputs {
  /** output name → values (int64 outputs as numbers) */
  values: Record<string, Float64Array>;
  dims: Record<string, readonly number[]>;
  latencyMs: number;
}

/** A verified model with its onnxruntime session: what the agent runs and swaps. */
export class LoadedModel {
  readonly manifest: ModelManifest;
  readonly provider: ExecutionProvider;
  /** ms since epoch the model became active */
  since: number;
  readonly fallbacks: { provider: ExecutionProvider; reason: string }[];
  readonly #ort: Ort;
  readonly #session: OrtSession;

  private constructor(
    ort: Ort,
    session: OrtSession,
    manifest: ModelManifest,
    provider: ExecutionProvider,
    fallbacks: LoadedModel['fallbacks'],
  ) {
    this.#ort = ort;
    this.#session = session;
    this.manifest = manifest;
    this.provider = provider;
    this.fallbacks = fallbacks;
    this.since = Date.now();
  }

  /** Creates the session (provider fallback) and checks the graph has the manifest's input and outputs. */
  static async load(ort: Ort, bytes: Uint8Array, manifest: ModelManifest, opts: SessionOptions): Promise<LoadedModel> {
    let created;
    try {
      created = await createSession(ort, bytes, opts);
    } catch (err) {
      throw new EdgeError(
        'MODEL_LOAD_FAILED',
        `model ${manifest.name} v${manifest.version} does not load: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const model = new LoadedModel(ort, created.session, manifest, created.provider, created.fallbacks);
    try {
      model.#checkSignature();
    } catch (err) {
      await model.release();
      throw err;
    }
    return model;
  }

  #checkSignature(): void {
    const m = this.manifest;
    if (!this.#session.inputNames.includes(m.input.name)) {
      throw new EdgeError(
        'MODEL_LOAD_FAILED',
        `model ${m.name} v${m.version} has inputs [${this.#session.inputNames.join(', ')}], manifest says ${m.input.name}`,
      );
    }
    for (const o of m.outputs) {
      if (!this.#session.outputNames.includes(o.name))
        throw new EdgeError('MODEL_LOAD_FAILED', `model ${m.name} v${m.version} has no output ${o.name}`);
    }
    const meta = (
      this.#session as { inputMetadata?: readonly { name: string; shape?: readonly (number | string)[] }[] }
    ).inputMetadata;
    const shape = meta?.find((i) => i.name === m.input.name)?.shape;
    if (!shape) return;
    const want = m.input.shape;
    const ok =
      shape.length === want.length &&
      shape.every((d, i) => typeof d !== 'number' || d < 0 || want[i] === null || want[i] === d);
    if (!ok)
      throw new EdgeError(
        'MODEL_LOAD_FAILED',
        `model ${m.name} v${m.version} input ${m.input.name} has shape [${shape.join(', ')}], manifest says [${want.map((d) => d ?? 'N').join(', ')}]`,
      );
  }

  /** Runs one batch: `data` is the flattened float32 input of shape `dims`. */
  async run(data: Float32Array, dims: readonly number[]): Promise<ModelOutputs> {
    const feeds = { [this.manifest.input.name]: new this.#ort.Tensor('float32', data, dims) };
    const t0 = performance.now();
    const out = await this.#session.run(feeds);
    const latencyMs = performance.now() - t0;
    const values: Record<string, Float64Array> = {};
    const shapes: Record<string, readonly number[]> = {};
    for (const o of this.manifest.outputs) {
      const t = out[o.name] as OrtTensor | undefined;
      if (!t)
        throw new EdgeError(
          'BAD_OUTPUT',
          `model ${this.manifest.name} v${this.manifest.version} returned no ${o.name}`,
        );
      values[o.name] = Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
      shapes[o.name] = t.dims;
    }
    return { values, dims: shapes, latencyMs };
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}
