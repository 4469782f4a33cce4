export * from './rpc-connection.js';
export * from './icpr-pool.js';
