import { attrInt, indexGraph, type ModelProto, type NodeProto } from './model-io.js';
import { weightAxis } from './plan.js';

/**
 * Where a weighted op stays fp32 (its dot product is below `minReduction`) and its ReLU feeds a
 * MaxPool, swaps the two: MaxPool(Relu(x)) = Relu(MaxPool(x)) exactly, ReLU being monotonic. The
 * ReLU then sits right before the QuantizeLinear that starts the int8 part.
 *
 * Why: onnxruntime's QDQ propagation moves a QuantizeLinear backward over a MaxPool (opset 12), so
 * the first pool of the vision CNN ran on uint8 NCHW data in onnxruntime's generic pooling kernel —
 * 0.39 of 0.64 ms per 16 frames. With the ReLU in between the propagation stops, onnxruntime folds
 * the ReLU into the QuantizeLinear, and the pool runs in fp32 (blocked layout) on the conv output.
 * Returns how many pairs were swapped.
 */
export function poolBeforeRelu(model: ModelProto, minReduction: number): number {
  const nodes = model.graph?.node ?? [];
  let swapped = 0;
  let idx = indexGraph(model);
  for (let i = 0; i < nodes.length; i++) {
    const relu = nodes[i] as NodeProto;
    if (relu.opType !== 'Relu') continue;
    const x = relu.input?.[0] ?? '';
    const y = relu.output?.[0] ?? '';
    const producer = nodes[idx.producer.get(x) ?? -1];
    if (!producer || !['Conv', 'Gemm', 'MatMul'].includes(producer.opType ?? '')) continue;
    const w = weightAxis(producer, idx);
    if (w !== undefined && w.reduction >= minReduction) continue; // quantized: its ReLU folds into its output
    const users = idx.consumers.get(y) ?? [];
    const pool = nodes[users[0] ?? -1];
    if (users.length !== 1 || idx.graphOutputs.has(y) || pool?.opType !== 'MaxPool' || (pool.output ?? []).length !== 1)
      continue;
    if (attrInt(pool, 'storage_order', 0) !== 0) continue;
    const pooled = pool.output?.[0] as string;
    // x → MaxPool → y → Relu → pooled (y now names the pre-ReLU pool output; nothing else reads it)
    pool.input = [x, ...(pool.input ?? []).slice(1)];
    pool.output = [y];
    relu.input = [y];
    relu.output = [pooled];
    nodes.splice(i, 1);
    nodes.splice(nodes.indexOf(pool) + 1, 0, relu);
    swapped++;
    idx = indexGraph(model); // node positions moved
  }
  return swapped;
}
