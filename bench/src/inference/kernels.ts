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
 * convolution arithmetic itself versus the pooling and what quantizing adds around it
 * (Quantize/Dequantize, layout transposes and reorders).
 */
export function explainKernels(fp32: OpTimes, int8: OpTimes, int8All: OpTimes): string {
  const conv = (ops: OpTimes) => sum(ops, ['Conv', 'QLinearConv']);
  const pool = (ops: OpTimes) => sum(ops, ['MaxPool', 'NhwcMaxPool', 'GlobalMaxPool']);
  const glue = (ops: OpTimes) => sum(ops, ['QuantizeLinear', 'DequantizeLinear', 'Transpose', 'ReorderOutput']);
  const speedup = total(fp32) / Math.max(total(int8), 1e-9);
  return [
    `Where the time goes (kernel times above, ms per 16 frames): fp32 ${ms(total(fp32))} ms, int8 ${ms(total(int8))} ms (${speedup.toFixed(2)}× faster).`,
    `Convolutions: fp32 ${ms(conv(fp32))}, int8 ${ms(conv(int8))} (first conv kept fp32, then QLinearConv 8→16 and 16→32 channels); pooling: fp32 ${ms(pool(fp32))}, int8 ${ms(pool(int8))};`,
    `Quantize/Dequantize/Transpose/Reorder: fp32 ${ms(glue(fp32))}, int8 ${ms(glue(int8))}.`,
    'At 32×32 the vision CNN has no patch stem and few channels: the int8 kernels win on the convolutions, and the fixed cost of layout changes and quantize/dequantize around them is what keeps the whole graph short of 2× (at the default 128 px of real tiles, bench/src/ml, int8 is 2.33× fp32).',
    `int8-all quantizes the 1-channel first conv too: QLinearConv with dot products of 9 costs ${ms(sum(int8All, ['QLinearConv']))} ms (${ms(total(int8All))} ms in all), which is why the trainer keeps that conv fp32.`,
    "The quantizer moves a fp32 conv's ReLU after its max-pool (equal results): without that, onnxruntime hoisted the following QuantizeLinear above the pool and ran it on uint8 NCHW data in its generic kernel (0.39 of 0.64 ms in the previous bench).",
  ].join(' ');
}
