export * from './launcher.js';
export * from './components.js';
export * from './plant.js';
export * from './secrets.js';
export * from './stack.js';
export * from './trainer.js';
