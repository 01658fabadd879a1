import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../tf-backend.js';

/*
 * tfjs's wasm backend runs convolutions through XNNPACK (SIMD), ~20× our flat JS loops, but it
 * ships no Conv2DBackpropFilter (training fails with "kernel not registered"), its
 * Conv2DBackpropInput is a plain loop, and its Tile (which batch-normalisation gradients use to
 * broadcast a per-channel vector over a whole activation) is slower than the convolutions. Both
 * convolution gradients are convolutions themselves, so we compute them with the backend's own
 * XNNPACK Conv2D:
 *   dW[kh,kw,ci,co] = Σ_{n,oy,ox} x[n, oy·s+kh−p, ox·s+kw−p, ci] · dy[n,oy,ox,co]
 *                   = conv(xᵀ [ci,H,W,N], filter dyᵀ [Ho,Wo,N,co], dilation s, pad p)
 *   dX (stride 1)   = conv(dy, filter W rotated 180° with in/out swapped, pad k−1−p)
 * `kernels.spec.ts` checks each against tfjs’s cpu kernels.
 */

type KernelArgs = Parameters<tfjs.KernelFunc>[0];
type Pad = [[number, number], [number, number], [number, number], [number, number]];

/** The part of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  disposeData(dataId: object): void;
  makeOutput(shape: number[], dtype: tfjs.DataType): tfjs.TensorInfo;
  typedArrayFromHeap(t: tfjs.TensorInfo): Float32Array;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: tfjs.Conv2DAttrs['pad'];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

/** Runs another wasm kernel directly, as backends compose kernels internally. */
function runner(tf: Tf, backend: WasmBackend) {
  const made: tfjs.TensorInfo[] = [];
  const run = (name: string, inputs: Record<string, tfjs.TensorInfo>, attrs: object): tfjs.TensorInfo => {
    const kernel = tf.getKernel(name, 'wasm') as tfjs.KernelConfig;
    const out = kernel.kernelFunc({ inputs, attrs, backend } as unknown as KernelArgs) as tfjs.TensorInfo;
    made.push(out);
    return out;
  };
  /** frees every intermediate but `keep` */
  const release = (keep: tfjs.TensorInfo) => {
    for (const t of made) if (t !== keep) backend.disposeData(t.dataId);
  };
  return { run, release };
}

function convInfo(tf: Tf, xShape: number[], filterShape: number[], a: ConvAttrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
}

function conv2dBackpropFilter(tf: Tf): tfjs.KernelFunc {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: tfjs.TensorInfo; dy: tfjs.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    if ((a.dataFormat ?? 'NHWC') !== 'NHWC') throw new RangeError('Conv2DBackpropFilter on wasm: only NHWC');
    const info = convInfo(tf, x.shape, a.filterShape, a);
    const { top, left } = info.padInfo;
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
    // trailing padding that makes the output exactly kh×kw; when negative, compute more and slice
    const bottom = kh + (info.outHeight - 1) * sh - info.inHeight - top;
    const right = kw + (info.outWidth - 1) * sw - info.inWidth - left;
    const { run, release } = runner(tf, args.backend as unknown as WasmBackend);
    const xT = run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyT = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const pad: Pad = [
      [0, 0],
      [top, Math.max(0, bottom)],
      [left, Math.max(0, right)],
      [0, 0],
    ];
    let r = run('Conv2D', { x: xT, filter: dyT }, { strides: 1, dilations: [sh, sw], pad, dataFormat: 'NHWC' });
    if (bottom < 0 || right < 0)
      r = run('Slice', { x: r }, { begin: [0, 0, 0, 0], size: [info.inChannels, kh, kw, info.outChannels] });
    const dw = run('Transpose', { x: r }, { perm: [1, 2, 0, 3] });
    release(dw);
    return dw;
  };
}

function conv2dBackpropInput(tf: Tf, original: tfjs.KernelFunc): tfjs.KernelFunc {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: tfjs.TensorInfo; filter: tfjs.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const info = convInfo(tf, a.inputShape, filter.shape, a);
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || (a.dataFormat ?? 'NHWC') !== 'NHWC') return original(args);
    const { top, bottom, left, right } = info.padInfo;
    const { filterHeight: kh, filterWidth: kw } = info;
    const { run, release } = runner(tf, args.backend as unknown as WasmBackend);
    const rotated = run('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = run('Transpose', { x: rotated }, { perm: [0, 1, 3, 2] });
    const pad: Pad = [
      [0, 0],
      [kh - 1 - top, kh - 1 - bottom],
      [kw - 1 - left, kw - 1 - right],
      [0, 0],
    ];
    const dx = run('Conv2D', { x: dy, filter: swapped }, { strides: 1, dilations: 1, pad, dataFormat: 'NHWC' });
    release(dx);
    return dx;
  };
}

/** Tile of a per-channel vector ([1, …, 1, C]) over the leading axes: repeated block copies. */
function tile(original: tfjs.KernelFunc): tfjs.KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tfjs.TensorInfo };
    const { reps } = args.attrs as unknown as { reps: number[] };
    const last = x.shape.length - 1;
    if (x.dtype !== 'float32' || last < 0 || x.shape.slice(0, last).some((d) => d !== 1) || reps[last] !== 1)
      return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(
      x.shape.map((d, i) => d * (reps[i] as number)),
      'float32',
    );
    const v = backend.typedArrayFromHeap(out);
    v.set(backend.typedArrayFromHeap(x));
    for (let n = x.shape[last] as number; n < v.length; n *= 2) v.copyWithin(n, 0, Math.min(n, v.length - n));
    return out;
  };
}

const installed = new WeakSet<object>();

/** Registers the kernels above on tfjs's `wasm` backend (once per tfjs instance; no-op without it). */
export function installWasmTrainingKernels(tf: Tf): void {
  if (installed.has(tf) || !tf.getKernel('Conv2D', 'wasm')) return;
  const replace = (name: string, make: (original: tfjs.KernelFunc) => tfjs.KernelFunc) => {
    const original = tf.getKernel(name, 'wasm');
    if (original) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...(original ?? { kernelName: name, backendName: 'wasm' }),
      kernelFunc: make(
        original?.kernelFunc ??
          (() => {
            throw new Error(`${name}: no wasm kernel`);
          }),
      ),
    });
  };
  replace('Conv2DBackpropFilter', () => conv2dBackpropFilter(tf));
  replace('Conv2DBackpropInput', (o) => conv2dBackpropInput(tf, o));
  replace('Tile', tile);
  installed.add(tf);
}
