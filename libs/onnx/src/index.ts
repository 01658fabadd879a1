export * from './errors.js';
export { kmeansToOnnx, kmeansScore, KMEANS_OPSET, type KmeansParams } from './kmeans.js';
export { subspaceToOnnx, subspaceScore, subspaceStatistics, SUBSPACE_OPSET, type SubspaceParams } from './subspace.js';
export { tfjsToOnnx, SUPPORTED_LAYERS, DEFAULT_OPSET, type TfjsExportOptions } from './tfjs/export.js';
export { quantizeInt8, INT8_QUANTIZATION, type QuantizeOptions } from './quantize/quantize.js';
export { profileKernels, type KernelProfile } from './profile.js';
