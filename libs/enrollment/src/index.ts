export * from './enroll/enrollment.producer.js';
export * from './results/results.consumer.js';
export * from './frontend-runtime.js';
export * from './frontend-config.js';
export * from './boot.js';
