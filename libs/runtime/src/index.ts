export * from './config.js';
export * from './logger.js';
export * from './shutdown.js';
export * from './servers/ports.js';
export * from './servers/managed-process.js';
export * from './servers/influxd.js';
export * from './servers/redis.js';
export * from './passwords.js';
