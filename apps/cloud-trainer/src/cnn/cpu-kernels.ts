import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../tf-backend.js';

/*
 * tfjs's pure-JS CPU backend computes its convolution kernels through `TensorBuffer.get(...)` or
 * per-element index arithmetic: Conv2DBackpropFilter runs ~40× slower than a flat loop and
 * MaxPoolGrad ~25×, which makes a small CNN take a minute per epoch on 300 images. These
 * replacements compute the same sums with flat typed-array indexing (channels-last, no dilation,
 * linear or ReLU activation — what our tfjs-layers models use); any other case goes to the
 * original kernel. `kernels.spec.ts` checks each against the original.
 */

type KernelArgs = Parameters<tfjs.KernelFunc>[0];
interface CpuBackend {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tfjs.TensorInfo;
}

interface ConvGeometry {
  info: ReturnType<Tf['backend_util']['computeConv2DInfo']>;
  backend: CpuBackend;
}

function geometry(
  tf: Tf,
  args: KernelArgs,
  xShape: number[],
  filterShape: [number, number, number, number],
  dilations: number | [number, number] = 1,
): ConvGeometry | undefined {
  const a = args.attrs as unknown as {
    strides: [number, number] | number;
    pad: tfjs.Conv2DAttrs['pad'];
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const format = tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC');
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape,
    a.strides,
    dilations,
    a.pad,
    a.dimRoundingMode,
    false,
    format,
  );
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  return { info, backend: args.backend as unknown as CpuBackend };
}

/**
 * Visits every (output pixel, filter tap) pair that lands inside the input, with the flat offsets
 * of the output pixel (times outChannels), the input pixel (times inChannels) and the filter tap
 * (times inChannels·outChannels). Every convolution sum below is this walk plus one inner loop.
 */
function eachTap(info: ConvGeometry['info'], visit: (yBase: number, xBase: number, wBase: number) => void): void {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: ci,
    outHeight,
    outWidth,
    outChannels: co,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const yBase = ((b * outHeight + oy) * outWidth + ox) * co;
        for (let fh = 0; fh < filterHeight; fh++) {
          const iy = oy * strideHeight + fh - info.padInfo.top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let fw = 0; fw < filterWidth; fw++) {
            const ix = ox * strideWidth + fw - info.padInfo.left;
            if (ix < 0 || ix >= inWidth) continue;
            visit(yBase, ((b * inHeight + iy) * inWidth + ix) * ci, (fh * filterWidth + fw) * ci * co);
          }
        }
      }
    }
  }
}

/** y = conv(x, w) (+ bias, then ReLU or nothing): Conv2D and FusedConv2D. */
function convForward(tf: Tf, original: tfjs.KernelFunc, fused: boolean): tfjs.KernelFunc {
  return (args: KernelArgs) => {
    const { x, filter, bias } = args.inputs as { x: tfjs.TensorInfo; filter: tfjs.TensorInfo; bias?: tfjs.TensorInfo };
    const attrs = args.attrs as unknown as { dilations?: number | [number, number]; activation?: string };
    const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
    if (activation !== 'linear' && activation !== 'relu') return original(args);
    const g = geometry(tf, args, x.shape, filter.shape as [number, number, number, number], attrs.dilations);
    if (
      !g ||
      (bias &&
        bias.shape.reduce((p, d) => p * d, 1) !== 1 &&
        bias.shape.reduce((p, d) => p * d, 1) !== g.info.outChannels)
    )
      return original(args);
    const { info, backend } = g;
    const xv = backend.data.get(x.dataId).values;
    const wv = backend.data.get(filter.dataId).values;
    const { inChannels: ci, outChannels: co } = info;
    const y = new Float32Array(info.batchSize * info.outHeight * info.outWidth * co);
    eachTap(info, (yBase, xBase, wBase) => {
      for (let c = 0; c < ci; c++) {
        const xval = xv[xBase + c] as number;
        if (xval === 0) continue;
        const wRow = wBase + c * co;
        for (let o = 0; o < co; o++) y[yBase + o] = (y[yBase + o] as number) + xval * (wv[wRow + o] as number);
      }
    });
    const bv = bias ? backend.data.get(bias.dataId).values : undefined;
    if (bv || activation === 'relu') {
      for (let i = 0; i < y.length; i++) {
        const v = (y[i] as number) + (bv ? (bv[bv.length === 1 ? 0 : i % co] as number) : 0);
        y[i] = activation === 'relu' && v < 0 ? 0 : v;
      }
    }
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };
}

/** dx of a convolution: Conv2DBackpropInput. */
function conv2dBackpropInput(tf: Tf, original: tfjs.KernelFunc): tfjs.KernelFunc {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: tfjs.TensorInfo; filter: tfjs.TensorInfo };
    const { inputShape } = args.attrs as unknown as { inputShape: number[] };
    const g = geometry(tf, args, inputShape, filter.shape as [number, number, number, number]);
    if (!g) return original(args);
    const { info, backend } = g;
    const dyv = backend.data.get(dy.dataId).values;
    const wv = backend.data.get(filter.dataId).values;
    const { inChannels: ci, outChannels: co } = info;
    const dx = new Float32Array(inputShape.reduce((p, d) => p * d, 1));
    eachTap(info, (yBase, xBase, wBase) => {
      for (let c = 0; c < ci; c++) {
        const wRow = wBase + c * co;
        let acc = 0;
        for (let o = 0; o < co; o++) acc += (dyv[yBase + o] as number) * (wv[wRow + o] as number);
        dx[xBase + c] = (dx[xBase + c] as number) + acc;
      }
    });
    return backend.makeTensorInfo(inputShape, 'float32', dx);
  };
}

/** dw of a convolution: Conv2DBackpropFilter (sums in float64, like the original). */
function conv2dBackpropFilter(tf: Tf, original: tfjs.KernelFunc): tfjs.KernelFunc {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: tfjs.TensorInfo; dy: tfjs.TensorInfo };
    const { filterShape } = args.attrs as unknown as { filterShape: [number, number, number, number] };
    const g = geometry(tf, args, x.shape, filterShape);
    if (!g) return original(args);
    const { info, backend } = g;
    const xv = backend.data.get(x.dataId).values;
    const dyv = backend.data.get(dy.dataId).values;
    const { inChannels: ci, outChannels: co } = info;
    const dw = new Float64Array(filterShape.reduce((p, d) => p * d, 1));
    eachTap(info, (yBase, xBase, wBase) => {
      for (let c = 0; c < ci; c++) {
        const xval = xv[xBase + c] as number;
        if (xval === 0) continue;
        const wRow = wBase + c * co;
        for (let o = 0; o < co; o++) dw[wRow + o] = (dw[wRow + o] as number) + xval * (dyv[yBase + o] as number);
      }
    });
    return backend.makeTensorInfo(filterShape, 'float32', Float32Array.from(dw));
  };
}

function maxPoolGrad(tf: Tf, original: tfjs.KernelFunc): tfjs.KernelFunc {
  return (args: KernelArgs) => {
    const { dy, input } = args.inputs as { dy: tfjs.TensorInfo; input: tfjs.TensorInfo };
    const a = args.attrs as unknown as tfjs.MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.dataFormat !== 'channelsLast')
      return original(args);
    const backend = args.backend as unknown as CpuBackend;
    const xv = backend.data.get(input.dataId).values;
    const dyv = backend.data.get(dy.dataId).values;
    const {
      batchSize,
      inHeight,
      inWidth,
      inChannels: ch,
      outHeight,
      outWidth,
      filterHeight,
      filterWidth,
      strideHeight,
      strideWidth,
    } = info;
    const dx = new Float32Array(xv.length);
    for (let b = 0; b < batchSize; b++) {
      for (let oy = 0; oy < outHeight; oy++) {
        const y0 = oy * strideHeight - info.padInfo.top;
        for (let ox = 0; ox < outWidth; ox++) {
          const x0 = ox * strideWidth - info.padInfo.left;
          for (let c = 0; c < ch; c++) {
            // first maximum in row-major window order, as tfjs's maxPoolPositions picks it
            let best = -1;
            let bestVal = -Infinity;
            for (let y = Math.max(0, y0); y < Math.min(inHeight, y0 + filterHeight); y++) {
              for (let x = Math.max(0, x0); x < Math.min(inWidth, x0 + filterWidth); x++) {
                const at = ((b * inHeight + y) * inWidth + x) * ch + c;
                if ((xv[at] as number) > bestVal) {
                  bestVal = xv[at] as number;
                  best = at;
                }
              }
            }
            if (best >= 0)
              dx[best] = (dx[best] as number) + (dyv[((b * outHeight + oy) * outWidth + ox) * ch + c] as number);
          }
        }
      }
    }
    return backend.makeTensorInfo(input.shape, 'float32', dx);
  };
}

let installed = false;

/**
 * Replaces the slow convolution and pooling-gradient kernels of tfjs's `cpu` backend (once per
 * process); no-op on other backends, and when `TAKT_TRAINER_TFJS_KERNELS=stock` (to compare).
 */
export function installFastCpuKernels(tf: Tf): void {
  if (installed || tf.getBackend() !== 'cpu' || process.env['TAKT_TRAINER_TFJS_KERNELS'] === 'stock') return;
  const kernels: [string, (tf: Tf, original: tfjs.KernelFunc) => tfjs.KernelFunc][] = [
    ['Conv2D', (t, o) => convForward(t, o, false)],
    ['FusedConv2D', (t, o) => convForward(t, o, true)],
    ['Conv2DBackpropInput', conv2dBackpropInput],
    ['Conv2DBackpropFilter', conv2dBackpropFilter],
    ['MaxPoolGrad', maxPoolGrad],
  ];
  for (const [name, make] of kernels) {
    const original = tf.getKernel(name, 'cpu');
    if (!original) continue;
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...original, kernelFunc: make(tf, original.kernelFunc) });
  }
  installed = true;
}
