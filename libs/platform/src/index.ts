export * from './config/index.js';
export * from './logging/index.js';
export * from './metrics/index.js';
export * from './health/index.js';
export * from './http/index.js';
export * from './redis/index.js';
export * from './process/run-main.js';
export * from './async/wakeable-sleep.js';
