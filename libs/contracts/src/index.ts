export * from './queues.js';
export * from './enroll.js';
export * from './errors.js';
