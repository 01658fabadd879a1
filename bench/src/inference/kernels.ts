/** Per-op kernel time of one variant, µs per run (`profileKernels(...).opTimeUs`). */
export type OpTimes = Record<string, number>;

const sum = (ops: OpTimes, names: string[]) => names.reduce((a, n) => a + (ops[n] ?? 0), 0) / 1000;
const total = (ops: OpTimes) => Object.values(ops).reduce((a, b) => a + b, 0) / 1000;
const ms = (v: number) => v.toFixed(3);

/** "Conv 0.284, MaxPool 0.057, …" (ms per run), slowest first. */
export function formatOps(ops: OpTimes): string {
  return Object.entries(ops)
    .sort((a, b) => b[1] - a[1])
    .map(([op, us]) => `${op} ${ms(us / 1000)}`)
    .join(', ');
}

/**
 * Where the int8 graphs gain and lose against fp32, in this run's kernel times (batch 16): the
 * convolution arithmetic itself versus what quantizing adds around it (uint8 pooling outside
 * onnxruntime's blocked fp32 layout, Quantize/Dequantize, layout transposes).
 */
export function explainKernels(fp32: OpTimes, int8: OpTimes, int8All: OpTimes): string {
  const conv = (ops: OpTimes) => sum(ops, ['Conv', 'QLinearConv']);
  const glue = (ops: OpTimes) => sum(ops, ['QuantizeLinear', 'DequantizeLinear', 'Transpose', 'ReorderOutput']);
  return [
    `Why int8 does not win here (kernel times above, ms per 16 frames): the CNN is tiny (8–32 channels, ~6k weights; fp32 ${ms(total(fp32))} ms in all).`,
    `Convolutions: fp32 ${ms(conv(fp32))} ms, int8 ${ms(conv(int8))} ms (first conv kept fp32 + two QLinearConv of 8→16 and 16→32 channels);`,
    `but the int8 graph runs its first 2×2 max-pool on uint8 NCHW data in onnxruntime's generic pooling kernel (MaxPool ${ms(sum(int8, ['MaxPool']))} ms, against ${ms(sum(fp32, ['MaxPool']))} ms for all three fp32 pools),`,
    `and spends ${ms(glue(int8))} ms on Quantize/Dequantize/Transpose/Reorder (fp32: ${ms(glue(fp32))} ms): ${ms(total(int8))} ms in all.`,
    `int8-all quantizes the 1-channel first conv too: its pools run as NhwcMaxPool (${ms(sum(int8All, ['NhwcMaxPool']))} ms), but QLinearConv with dot products of 9 costs ${ms(sum(int8All, ['QLinearConv']))} ms (${ms(total(int8All))} ms in all).`,
  ].join(' ');
}
