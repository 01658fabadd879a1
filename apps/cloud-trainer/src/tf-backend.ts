import type * as tfjs from '@tensorflow/tfjs';
import { installWasmTrainingKernels } from './cnn/wasm-kernels.js';

export type Tf = typeof tfjs;

export interface TfRuntime {
  tf: Tf;
  /** the backend that trains, e.g. `tensorflow` (tfjs-node), `wasm` or `cpu` */
  backend: string;
  /** which package supplied it */
  package: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-backend-wasm' | '@tensorflow/tfjs';
}

let loaded: Promise<TfRuntime> | undefined;

/** A module name TypeScript does not resolve at build time: tfjs-node is optional. */
const NATIVE_PACKAGE = ['@tensorflow', 'tfjs-node'].join('/');

async function tryNative(): Promise<Tf | undefined> {
  try {
    return (await import(NATIVE_PACKAGE)) as Tf;
  } catch {
    return undefined;
  }
}

async function load(): Promise<TfRuntime> {
  const native = await tryNative();
  if (native) {
    await native.ready();
    return { tf: native, backend: native.getBackend(), package: '@tensorflow/tfjs-node' };
  }
  const tf = await import('@tensorflow/tfjs');
  // prod mode: no per-op debug checks, and no "install tfjs-node" banner — we say which backend trains ourselves
  tf.enableProdMode();
  if (process.env['TAKT_TRAINER_TFJS_BACKEND'] !== 'cpu' && (await tryWasm(tf)))
    return { tf, backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm' };
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: tf.getBackend(), package: '@tensorflow/tfjs' };
}

/**
 * tfjs's wasm backend (XNNPACK, SIMD; its .wasm files ship inside the npm package, nothing is
 * downloaded), one thread — deterministic, and it leaves the other cores to the plant — with the
 * training kernels it lacks (`cnn/wasm-kernels.ts`).
 */
async function tryWasm(tf: Tf): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) return false;
    await tf.ready();
    installWasmTrainingKernels(tf);
    return true;
  } catch {
    return false;
  }
}

/**
 * TensorFlow.js, once per process: `@tensorflow/tfjs-node` (native TensorFlow) when it is
 * installed, else the wasm backend (`@tensorflow/tfjs-backend-wasm`), else `@tensorflow/tfjs` on
 * its pure-JS CPU backend (also with `TAKT_TRAINER_TFJS_BACKEND=cpu`).
 */
export function loadTensorflow(): Promise<TfRuntime> {
  loaded ??= load();
  return loaded;
}

/** One line saying what trains, e.g. `tfjs backend: cpu (@tensorflow/tfjs, pure JS)`. */
export function describeBackend(rt: TfRuntime): string {
  const kind =
    rt.package === '@tensorflow/tfjs-node'
      ? 'native TensorFlow'
      : rt.backend === 'wasm'
        ? 'WebAssembly, XNNPACK'
        : 'pure JS';
  return `tfjs backend: ${rt.backend} (${rt.package}, ${kind})`;
}
