export * from './errors.js';
export * from './ids.js';
export * from './topics.js';
export * from './messages/common.js';
export * from './messages/plant.js';
export * from './messages/edge.js';
export * from './messages/cloud.js';
export * from './channels.js';
export * from './codec.js';
export * from './sequence.js';
export * from './png.js';
export * from './telemetry-layout.js';
export * from './telemetry-scan.js';
/** byte comparison for readers of payload bytes beside scanTelemetry (the telemetry-store line encoder) */
export { bytesEqual } from './json-bytes.js';
