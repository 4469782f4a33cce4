export * from './srvsvc.js';
export * from './lsarpc.js';
export { checkStatus } from './status.js';
