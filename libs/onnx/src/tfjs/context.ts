import type { GraphBuilder } from '../graph.js';
import { OnnxExportError } from '../errors.js';

/** Where the running tensor's channels sit: tf's native channels-last, or ONNX's channels-first. */
export type Layout = 'channelsLast' | 'channelsFirst';

/** The tensor flowing between layers. */
export interface TensorRef {
  name: string;
  layout: Layout;
  /** tf shape without the batch dim, always in channels-last order (e.g. [H, W, C]) */
  shape: (number | null)[];
}

/** A Conv just emitted with a linear activation, so a following BatchNormalization can fold into it. */
export interface FoldableConv {
  weightName: string;
  biasName: string;
  /** ONNX layout [out, in, ...k] */
  weights: Float32Array;
  bias: Float32Array;
  outChannels: number;
}

/** The slice of a tfjs layer the converters read (kept structural so specs can build odd configs). */
export interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): { shape: number[]; dataSync(): ArrayLike<number> }[];
  outputShape: unknown;
}

export interface ExportContext {
  g: GraphBuilder;
  x: TensorRef;
  foldable?: FoldableConv;
}

/** Converts one layer, updating `ctx.x` (and `ctx.foldable`). */
export type LayerConverter = (ctx: ExportContext, layer: LayerLike) => void;

export function unsupportedConfig(layer: LayerLike, what: string): never {
  throw new OnnxExportError(
    'UNSUPPORTED_CONFIG',
    `layer ${layer.name} (${layer.getClassName()}): ${what} is not supported`,
  );
}

/** tf output shape of a layer without the batch dim. */
export function outShape(layer: LayerLike): (number | null)[] {
  const s = layer.outputShape as (number | null)[] | (number | null)[][];
  if (Array.isArray(s[0])) unsupportedConfig(layer, 'several outputs');
  return (s as (number | null)[]).slice(1);
}

export function config<T>(layer: LayerLike, key: string): T {
  return layer.getConfig()[key] as T;
}

/** A numeric tuple config (`kernelSize`, `strides`, …) that tfjs stores as number or array. */
export function tuple(layer: LayerLike, key: string, rank: number, fallback?: number[]): number[] {
  const v = layer.getConfig()[key] ?? fallback;
  const arr = typeof v === 'number' ? Array<number>(rank).fill(v) : (v as number[] | undefined);
  if (!arr || arr.length !== rank) unsupportedConfig(layer, `${key}=${JSON.stringify(v)}`);
  return arr;
}

export function weightsOf(layer: LayerLike): Float32Array[] {
  return layer.getWeights().map((w) => Float32Array.from(w.dataSync()));
}
