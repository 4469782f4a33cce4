// Connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE). testing/ is for specs only and not exported.
export * from './constants.js';
export * from './syntax.js';
export * from './header.js';
export * from './bind.js';
export * from './auth3.js';
export * from './request.js';
export * from './pdu.js';
export * from './errors.js';
export * from './protection.js';
export * from './registry.js';
export * from './client.js';
export * from './server.js';
