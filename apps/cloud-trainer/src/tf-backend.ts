import type * as tfjs from '@tensorflow/tfjs';

export type Tf = typeof tfjs;

export interface TfRuntime {
  tf: Tf;
  /** the backend that trains, e.g. `tensorflow` (tfjs-node) or `cpu` */
  backend: string;
  /** which package supplied it */
  package: '@tensorflow/tfjs-node' | '@tensorflow/tfjs';
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
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: tf.getBackend(), package: '@tensorflow/tfjs' };
}

/**
 * TensorFlow.js, once per process: `@tensorflow/tfjs-node` (native TensorFlow) when it is
 * installed, otherwise `@tensorflow/tfjs` on its pure-JS CPU backend.
 */
export function loadTensorflow(): Promise<TfRuntime> {
  loaded ??= load();
  return loaded;
}

/** One line saying what trains, e.g. `tfjs backend: cpu (@tensorflow/tfjs, pure JS)`. */
export function describeBackend(rt: TfRuntime): string {
  const kind = rt.package === '@tensorflow/tfjs-node' ? 'native TensorFlow' : 'pure JS';
  return `tfjs backend: ${rt.backend} (${rt.package}, ${kind})`;
}
