import type { ExportContext } from './context.js';

/** Transpose permutation NHWC→NCHW (any rank ≥ 3): [0, r-1, 1, …, r-2]. */
export function toFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Transpose permutation NCHW→NHWC (any rank ≥ 3): [0, 2, …, r-1, 1]. */
export function toLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Makes the running tensor channels-first (what ONNX Conv/Pool want), transposing if needed. */
export function ensureChannelsFirst(ctx: ExportContext): void {
  const rank = ctx.x.shape.length + 1;
  if (ctx.x.layout === 'channelsFirst' || rank < 3) return;
  ctx.x = {
    ...ctx.x,
    layout: 'channelsFirst',
    name: ctx.g.op('Transpose', [ctx.x.name], 'to_nchw', { perm: { ints: toFirstPerm(rank) } }),
  };
  ctx.foldable = undefined;
}

/** Makes the running tensor channels-last (tf order: Flatten, Reshape, Dense and the output need it). */
export function ensureChannelsLast(ctx: ExportContext): void {
  const rank = ctx.x.shape.length + 1;
  if (ctx.x.layout === 'channelsLast') return;
  ctx.x = {
    ...ctx.x,
    layout: 'channelsLast',
    name: ctx.g.op('Transpose', [ctx.x.name], 'to_nhwc', { perm: { ints: toLastPerm(rank) } }),
  };
  ctx.foldable = undefined;
}

/** Where tf axis `axis` (of the channels-last shape, batch = 0) sits in the running tensor. */
export function onnxAxis(ctx: ExportContext, axis: number): number {
  const rank = ctx.x.shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  if (ctx.x.layout === 'channelsLast' || rank < 3 || a === 0) return a;
  return a === rank - 1 ? 1 : a + 1;
}

/** Shape for a per-channel constant that broadcasts against the running tensor. */
export function channelBroadcastDims(ctx: ExportContext, channels: number): number[] {
  const rank = ctx.x.shape.length + 1;
  return ctx.x.layout === 'channelsFirst' && rank >= 3 ? [channels, ...Array<number>(rank - 2).fill(1)] : [channels];
}
