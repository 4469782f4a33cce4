/** Numbers of MS-SMB2 2.2 (headers and messages). One place, so codecs and state machines agree. */

/** MS-SMB2 2.2.1: ProtocolId of a sync/async header, 0xFE 'S' 'M' 'B'. */
export const SMB2_PROTOCOL_ID = 0x424d53fe;
/** MS-SMB2 2.2.41: ProtocolId of the SMB2 TRANSFORM_HEADER, 0xFD 'S' 'M' 'B'. */
export const SMB2_TRANSFORM_PROTOCOL_ID = 0x424d53fd;
/** SMB1 0xFF 'S' 'M' 'B' (only recognised to refuse it clearly). */
export const SMB1_PROTOCOL_ID = 0x424d53ff;
export const SMB2_HEADER_SIZE = 64;
export const SMB2_TRANSFORM_HEADER_SIZE = 52;
/** Offset of the 16-byte Signature inside the 64-byte header. */
export const SMB2_SIGNATURE_OFFSET = 48;

/** MS-SMB2 2.2.1.2 Command. */
export const Smb2Command = {
  NEGOTIATE: 0x0000,
  SESSION_SETUP: 0x0001,
  LOGOFF: 0x0002,
  TREE_CONNECT: 0x0003,
  TREE_DISCONNECT: 0x0004,
  CREATE: 0x0005,
  CLOSE: 0x0006,
  FLUSH: 0x0007,
  READ: 0x0008,
  WRITE: 0x0009,
  LOCK: 0x000a,
  IOCTL: 0x000b,
  CANCEL: 0x000c,
  ECHO: 0x000d,
  QUERY_DIRECTORY: 0x000e,
  CHANGE_NOTIFY: 0x000f,
  QUERY_INFO: 0x0010,
  SET_INFO: 0x0011,
  OPLOCK_BREAK: 0x0012,
} as const;
export type Smb2Command = (typeof Smb2Command)[keyof typeof Smb2Command];

export function commandName(command: number): string {
  for (const [name, value] of Object.entries(Smb2Command)) if (value === command) return name;
  return `0x${command.toString(16).padStart(4, '0')}`;
}

/** MS-SMB2 2.2.1.2 Flags. */
export const Smb2HeaderFlags = {
  SERVER_TO_REDIR: 0x00000001,
  ASYNC_COMMAND: 0x00000002,
  RELATED_OPERATIONS: 0x00000004,
  SIGNED: 0x00000008,
  PRIORITY_MASK: 0x00000070,
  DFS_OPERATIONS: 0x10000000,
  REPLAY_OPERATION: 0x20000000,
} as const;

/** MS-SMB2 2.2.3 Dialects. 0x02FF is the SMB1-negotiate wildcard answer. */
export const Smb2Dialect = {
  SMB202: 0x0202,
  SMB210: 0x0210,
  SMB300: 0x0300,
  SMB302: 0x0302,
  SMB311: 0x0311,
  WILDCARD: 0x02ff,
} as const;
export type Smb2Dialect = 0x0202 | 0x0210 | 0x0300 | 0x0302 | 0x0311;
export const ALL_DIALECTS: readonly Smb2Dialect[] = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];

export function isSmb3(dialect: number): boolean {
  return dialect >= 0x0300 && dialect !== Smb2Dialect.WILDCARD;
}

export function dialectName(dialect: number): string {
  const hex = dialect.toString(16).padStart(4, '0');
  return `${hex[1]}.${hex[2]}.${hex[3]}`;
}

/** MS-SMB2 2.2.3 SecurityMode. */
export const Smb2SecurityMode = {
  SIGNING_ENABLED: 0x0001,
  SIGNING_REQUIRED: 0x0002,
} as const;

/** MS-SMB2 2.2.3 Capabilities. */
export const Smb2Capabilities = {
  DFS: 0x00000001,
  LEASING: 0x00000002,
  LARGE_MTU: 0x00000004,
  MULTI_CHANNEL: 0x00000008,
  PERSISTENT_HANDLES: 0x00000010,
  DIRECTORY_LEASING: 0x00000020,
  ENCRYPTION: 0x00000040,
} as const;

/** MS-SMB2 2.2.3.1 negotiate context types. */
export const NegotiateContextType = {
  PREAUTH_INTEGRITY_CAPABILITIES: 0x0001,
  ENCRYPTION_CAPABILITIES: 0x0002,
  COMPRESSION_CAPABILITIES: 0x0003,
  NETNAME_NEGOTIATE_CONTEXT_ID: 0x0005,
  TRANSPORT_CAPABILITIES: 0x0006,
  RDMA_TRANSFORM_CAPABILITIES: 0x0007,
  SIGNING_CAPABILITIES: 0x0008,
} as const;

/** MS-SMB2 2.2.3.1.1 HashAlgorithms. */
export const PreauthHashAlgorithm = { SHA512: 0x0001 } as const;

/** MS-SMB2 2.2.3.1.2 Ciphers. Only the 128-bit ones are implemented. */
export const Smb2Cipher = {
  AES_128_CCM: 0x0001,
  AES_128_GCM: 0x0002,
  AES_256_CCM: 0x0003,
  AES_256_GCM: 0x0004,
} as const;
export type Smb2Cipher = 0x0001 | 0x0002;

/** MS-SMB2 2.2.3.1.7 SigningAlgorithms. AES-GMAC is not implemented. */
export const Smb2SigningAlgorithm = {
  HMAC_SHA256: 0x0000,
  AES_CMAC: 0x0001,
  AES_GMAC: 0x0002,
} as const;
export type Smb2SigningAlgorithm = 0x0000 | 0x0001;

/** MS-SMB2 2.2.6 SESSION_SETUP response SessionFlags. */
export const Smb2SessionFlags = {
  IS_GUEST: 0x0001,
  IS_NULL: 0x0002,
  ENCRYPT_DATA: 0x0004,
} as const;

/** MS-SMB2 2.2.10 TREE_CONNECT response. */
export const Smb2ShareType = { DISK: 0x01, PIPE: 0x02, PRINT: 0x03 } as const;
export const Smb2ShareFlags = { ENCRYPT_DATA: 0x00008000 } as const;

/** MS-SMB2 2.2.13 CREATE fields used for named pipes. */
export const Smb2ImpersonationLevel = {
  ANONYMOUS: 0,
  IDENTIFICATION: 1,
  IMPERSONATION: 2,
  DELEGATE: 3,
} as const;
export const Smb2CreateDisposition = {
  SUPERSEDE: 0,
  OPEN: 1,
  CREATE: 2,
  OPEN_IF: 3,
  OVERWRITE: 4,
  OVERWRITE_IF: 5,
} as const;
export const Smb2CreateOptions = { NON_DIRECTORY_FILE: 0x00000040 } as const;
export const Smb2ShareAccess = { READ: 0x1, WRITE: 0x2, DELETE: 0x4 } as const;
/** MS-SMB2 2.2.13.1.1: FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_READ_EA | FILE_WRITE_EA | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE. */
export const PIPE_DESIRED_ACCESS = 0x0012019f;
export const FILE_ATTRIBUTE_NORMAL = 0x80;

/** MS-SMB2 2.2.31 IOCTL CtlCode values this stack speaks. */
export const FsctlCode = {
  PIPE_TRANSCEIVE: 0x0011c017,
  VALIDATE_NEGOTIATE_INFO: 0x00140204,
} as const;
/** MS-SMB2 2.2.31 Flags: the request is an FSCTL. */
export const SMB2_0_IOCTL_IS_FSCTL = 0x00000001;

/** MS-SMB2 2.2.41 TRANSFORM_HEADER Flags (3.1.1) / EncryptionAlgorithm (3.0.x): both are 0x0001. */
export const SMB2_TRANSFORM_FLAG_ENCRYPTED = 0x0001;

/** Largest single READ/WRITE/IOCTL payload we send: one credit's worth (MS-SMB2 3.1.5.2). */
export const SINGLE_CREDIT_PAYLOAD = 65536;
