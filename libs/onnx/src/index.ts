export * from './errors.js';
export { kmeansToOnnx, kmeansScore, KMEANS_OPSET, type KmeansParams } from './kmeans.js';
export { tfjsToOnnx, SUPPORTED_LAYERS, DEFAULT_OPSET, type TfjsExportOptions } from './tfjs/export.js';
