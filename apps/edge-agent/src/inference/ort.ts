import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExecutionProvider } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type * as OrtNs from 'onnxruntime-node';
import { EdgeError } from '../errors.js';

export type Ort = typeof OrtNs;
export type OrtSession = OrtNs.InferenceSession;
export type OrtTensor = OrtNs.Tensor;

/**
 * Loads onnxruntime: the npm `onnxruntime-node` (CPU, WebGPU) or, for Jetson boxes, another build
 * given as a path to its package folder or entry file (one with CUDA/TensorRT providers).
 */
export async function loadOrt(onnxruntimePath?: string): Promise<Ort> {
  const spec = onnxruntimePath
    ? isAbsolute(onnxruntimePath) || onnxruntimePath.startsWith('.')
      ? pathToFileURL(resolve(onnxruntimePath)).href
      : onnxruntimePath
    : 'onnxruntime-node';
  try {
    const mod = (await import(spec)) as Ort & { default?: Ort };
    const ort = mod.InferenceSession ? mod : mod.default;
    if (!ort?.InferenceSession) throw new Error('module exports no InferenceSession');
    return ort;
  } catch (err) {
    throw new EdgeError('ORT_IMPORT_FAILED', `cannot load onnxruntime from ${spec}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export interface SessionOptions {
  /** providers in order of preference; the first that creates a session wins */
  providers: readonly ExecutionProvider[];
  /** threads per operator; default 1 (edge boxes share their cores) */
  intraOpThreads?: number;
  logger?: Logger;
}

export interface CreatedSession {
  session: OrtSession;
  provider: ExecutionProvider;
  /** providers tried before, and why each failed */
  fallbacks: { provider: ExecutionProvider; reason: string }[];
}

/**
 * Creates a session with the first provider that works, falling back in order and logging each
 * miss. Throws `EdgeError('NO_PROVIDER')` when none does (the model itself may be broken).
 */
export async function createSession(ort: Ort, model: Uint8Array, opts: SessionOptions): Promise<CreatedSession> {
  const fallbacks: CreatedSession['fallbacks'] = [];
  for (const provider of opts.providers) {
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        intraOpNumThreads: opts.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        logSeverityLevel: 4,
      });
      if (fallbacks.length > 0)
        opts.logger?.warn({ provider, fallbacks }, `execution provider fallback: running on ${provider}`);
      return { session, provider, fallbacks };
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0] ?? String(err);
      fallbacks.push({ provider, reason: reason.slice(0, 300) });
      opts.logger?.info({ provider, reason }, 'execution provider unavailable, trying the next');
    }
  }
  throw new EdgeError(
    'NO_PROVIDER',
    `no execution provider could load the model: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ')}`,
  );
}
