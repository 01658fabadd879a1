import { buildModel, DT, floatInit, int64Init, type NodeSpec } from './onnx-graph.js';

export interface KmeansFixture {
  centroids: number[][];
  center: number[];
  scale: number[];
  /** feature count the graph declares; default centroids[0].length (set it differently for a wrong-shape model) */
  declaredFeatures?: number;
  /** multiply the score by NaN (a broken model) */
  poison?: 'nan';
}

/**
 * K-means anomaly graph, the same contract as libs/onnx `kmeansToOnnx`: input `features` [N,F] →
 * `score` [N] (distance of the robust-scaled vector to the nearest centroid), `cluster` [N] int64.
 */
export function kmeansModel(p: KmeansFixture): Uint8Array {
  const k = p.centroids.length;
  const f = p.declaredFeatures ?? p.centroids[0]!.length;
  const nodes: NodeSpec[] = [
    { op: 'Sub', inputs: ['features', 'center'], outputs: ['centered'] },
    { op: 'Div', inputs: ['centered', 'scale'], outputs: ['scaled'] },
    { op: 'Unsqueeze', inputs: ['scaled', 'axis1'], outputs: ['x3'] },
    { op: 'Sub', inputs: ['x3', 'centroids'], outputs: ['diff'] },
    { op: 'Mul', inputs: ['diff', 'diff'], outputs: ['sq'] },
    { op: 'ReduceSum', inputs: ['sq', 'axis2'], outputs: ['d2'], attrs: { keepdims: 0 } },
    { op: 'Sqrt', inputs: ['d2'], outputs: ['dist'] },
    {
      op: 'ReduceMin',
      inputs: ['dist'],
      outputs: [p.poison ? 'raw_score' : 'score'],
      attrs: { axes: [1], keepdims: 0 },
    },
    { op: 'ArgMin', inputs: ['dist'], outputs: ['cluster'], attrs: { axis: 1, keepdims: 0 } },
  ];
  const initializers = [
    floatInit('center', [f], pad(p.center, f)),
    floatInit('scale', [f], pad(p.scale, f, 1)),
    floatInit(
      'centroids',
      [k, f],
      p.centroids.flatMap((c) => pad(c, f)),
    ),
    int64Init('axis1', [1], [1]),
    int64Init('axis2', [1], [2]),
  ];
  if (p.poison) {
    nodes.push({ op: 'Mul', inputs: ['raw_score', 'nan'], outputs: ['score'] });
    initializers.push(floatInit('nan', [1], [Number.NaN]));
  }
  return buildModel({
    inputs: [{ name: 'features', dims: ['N', f] }],
    outputs: [
      { name: 'score', dims: ['N'] },
      { name: 'cluster', dims: ['N'], type: DT.INT64 },
    ],
    nodes,
    initializers,
  });
}

function pad(v: number[], n: number, fill = 0): number[] {
  return Array.from({ length: n }, (_, i) => v[i] ?? fill);
}

/** Deterministic weights in [-0.5, 0.5). */
function weights(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  });
}

/**
 * Tiny 1-D CNN fault classifier, channels-last like TensorFlow.js: input [N, length, channels] →
 * `probs` [N, classes] (Conv1D k=5 → ReLU → global average → dense → softmax).
 */
export function faultCnnModel(p: {
  length: number;
  channels: number;
  classes: number;
  filters?: number;
  seed?: number;
}): Uint8Array {
  const filters = p.filters ?? 8;
  return buildModel({
    inputs: [{ name: 'window', dims: ['N', p.length, p.channels] }],
    outputs: [{ name: 'probs', dims: ['N', p.classes] }],
    nodes: [
      { op: 'Transpose', inputs: ['window'], outputs: ['ncl'], attrs: { perm: [0, 2, 1] } },
      { op: 'Conv', inputs: ['ncl', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [5], pads: [2, 2] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'GlobalAveragePool', inputs: ['r1'], outputs: ['gap'] },
      { op: 'Flatten', inputs: ['gap'], outputs: ['flat'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'w2', 'b2'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probs'], attrs: { axis: 1 } },
    ],
    initializers: [
      floatInit('w1', [filters, p.channels, 5], weights(filters * p.channels * 5, p.seed ?? 1)),
      floatInit('b1', [filters], weights(filters, (p.seed ?? 1) + 1)),
      floatInit('w2', [filters, p.classes], weights(filters * p.classes, (p.seed ?? 1) + 2)),
      floatInit('b2', [p.classes], weights(p.classes, (p.seed ?? 1) + 3)),
    ],
  });
}

/**
 * Tiny 2-D CNN for grayscale frames, channels-last: input `image` [N, H, W, 1] in 0..1 → `probs` [N, classes]
 * (Conv 3×3 stride 2 → ReLU → Conv 3×3 stride 2 → ReLU → global average → dense → softmax).
 * `int8: true` wraps the convolutions' inputs and weights in QuantizeLinear/DequantizeLinear (QDQ), as quantizeInt8 does.
 */
export function visionCnnModel(p: {
  height: number;
  width: number;
  classes: number;
  filters?: number;
  seed?: number;
  int8?: boolean;
}): Uint8Array {
  const f = p.filters ?? 8;
  const seed = p.seed ?? 7;
  const nodes: NodeSpec[] = [{ op: 'Transpose', inputs: ['image'], outputs: ['nchw'], attrs: { perm: [0, 3, 1, 2] } }];
  const initializers = [
    floatInit('w1', [f, 1, 3, 3], weights(f * 9, seed)),
    floatInit('b1', [f], weights(f, seed + 1)),
    floatInit('w2', [f, f, 3, 3], weights(f * f * 9, seed + 2)),
    floatInit('b2', [f], weights(f, seed + 3)),
    floatInit('w3', [f, p.classes], weights(f * p.classes, seed + 4)),
    floatInit('b3', [p.classes], weights(p.classes, seed + 5)),
  ];
  const q = (name: string, scale: number): string => {
    if (!p.int8) return name;
    initializers.push(floatInit(`${name}_s`, [], [scale]), {
      name: `${name}_z`,
      dataType: 3,
      dims: [],
      int32Data: [0],
    });
    nodes.push({ op: 'QuantizeLinear', inputs: [name, `${name}_s`, `${name}_z`], outputs: [`${name}_q`] });
    nodes.push({ op: 'DequantizeLinear', inputs: [`${name}_q`, `${name}_s`, `${name}_z`], outputs: [`${name}_dq`] });
    return `${name}_dq`;
  };
  const conv = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };
  nodes.push({ op: 'Conv', inputs: [q('nchw', 1 / 127), q('w1', 0.5 / 127), 'b1'], outputs: ['c1'], attrs: conv });
  nodes.push({ op: 'Relu', inputs: ['c1'], outputs: ['r1'] });
  nodes.push({ op: 'Conv', inputs: [q('r1', 4 / 127), q('w2', 0.5 / 127), 'b2'], outputs: ['c2'], attrs: conv });
  nodes.push(
    { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
    { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['gap'] },
    { op: 'Flatten', inputs: ['gap'], outputs: ['flat'], attrs: { axis: 1 } },
    { op: 'Gemm', inputs: ['flat', 'w3', 'b3'], outputs: ['logits'] },
    { op: 'Softmax', inputs: ['logits'], outputs: ['probs'], attrs: { axis: 1 } },
  );
  return buildModel({
    inputs: [{ name: 'image', dims: ['N', p.height, p.width, 1] }],
    outputs: [{ name: 'probs', dims: ['N', p.classes] }],
    nodes,
    initializers,
  });
}
