export * from './plants.js';
export * from './seqs.js';
