export * from './workspace.js';
export * from './servers.js';
export * from './mqtt.js';
export * from './broker.js';
export * from './pymodbus.js';
