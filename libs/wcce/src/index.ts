/**
 * @enrollgate/wcce: MS-ICPR (CertServerRequest) over SMB2/3 named pipes with DCE/RPC packet
 * privacy. One folder per layer: smb2/, ntlm/, spnego/, dcerpc/, ndr/, icpr/, crypto/;
 * client/ holds the pooled connections the worker and the `wcce` CLI use.
 */
export * from './errors.js';
export * from './security/provider.js';
export * from './transport/rpc-transport.js';
export * from './ntlm/index.js';
export * from './spnego/index.js';
export * from './dcerpc/index.js';
export * from './ndr/index.js';
export * from './icpr/index.js';
export * from './rpc-interfaces/index.js';
export {
  SmbSession,
  SmbPipe,
  SmbServer,
  ALL_DIALECTS,
  Smb2Dialect,
  Smb2Cipher,
  dialectName,
  NtStatus,
  statusName,
  type SmbSessionOptions,
  type SmbServerOptions,
  type PipeHandlerFactory,
  type PipeOpenInfo,
  type SmbServerLogger,
} from './smb2/index.js';
export * from './client/index.js';
export * from './kerberos/index.js';
