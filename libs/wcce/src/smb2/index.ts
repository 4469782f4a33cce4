/**
 * SMB2/3 for MS-ICPR over `\pipe\cert` (MS-SMB2): the client (SmbSession, SmbPipe as an
 * RpcTransport) and the server half the AD CS simulator needs (SmbServer).
 */
export { SmbSession, connectSmb, statusError, type SmbSessionOptions, type SmbNegotiated } from './client/session.js';
export { SmbPipe, type SmbPipeOptions } from './client/pipe.js';
export { SmbConnection, type SmbConnectionOptions, type Smb2Request, type Smb2Response } from './client/connection.js';
export { SmbServer, type SmbServerOptions } from './server/server.js';
export type { PipeHandlerFactory, PipeOpenInfo, SmbServerLogger } from './server/connection.js';
export { ALL_DIALECTS, Smb2Cipher, Smb2Command, Smb2Dialect, Smb2SigningAlgorithm, dialectName } from './constants.js';
export { NtStatus, statusName } from './status.js';
export { SessionSecurity, type SessionSecurityOptions } from './security.js';
export { deriveSessionKeys, type Smb2SessionKeys } from './keys.js';
