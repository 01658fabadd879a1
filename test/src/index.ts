export * from './plants.js';
export * from './seqs.js';
export * from './api.js';
