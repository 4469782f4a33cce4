export * from './secret.js';
export * from './load.js';
