export * from './errors.js';
export { kmeansToOnnx, kmeansScore, KMEANS_OPSET, type KmeansParams } from './kmeans.js';
