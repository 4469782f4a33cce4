/**
 * Typed errors of the MS-ICPR stack. Every failure that leaves libs/wcce is a WcceError with a
 * stable `code` and a `retryable` verdict, so the worker's retry/failover logic never has to
 * parse messages. Parsers of untrusted bytes throw WcceProtocolError with the field and offset.
 */
export type WcceErrorCode =
  | 'PROTOCOL' // malformed bytes from the peer (SMB2, NTLM, SPNEGO, DCE/RPC, NDR, ASN.1)
  | 'INTEGRITY' // a signature / verifier / MAC did not check
  | 'AUTH_FAILED' // wrong password, unknown account, logon refused (never retried: lock-out risk)
  | 'ACCESS_DENIED' // authenticated but not allowed (share, pipe, RPC level)
  | 'TRANSPORT' // connect refused, reset, closed mid-exchange
  | 'TIMEOUT' // connect / exchange / call deadline passed
  | 'SMB_STATUS' // an SMB2 NTSTATUS failure not covered above
  | 'RPC_FAULT' // DCE/RPC FAULT PDU or BIND_NAK
  | 'CA_DENIED' // the CA answered with a failure disposition / HRESULT
  | 'CA_UNAVAILABLE' // the CA exists but cannot serve now (suspended, revocation offline)
  | 'UNSUPPORTED' // the peer asked for something we do not implement
  | 'CONFIG'; // bad local configuration (unknown CA name is CA_DENIED, not this)

export interface WcceErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** NTSTATUS, RPC fault status or HRESULT as an unsigned 32-bit value */
  status?: number;
  details?: Record<string, unknown>;
}

const DEFAULT_RETRYABLE: Record<WcceErrorCode, boolean> = {
  PROTOCOL: true,
  INTEGRITY: true,
  AUTH_FAILED: false,
  ACCESS_DENIED: false,
  TRANSPORT: true,
  TIMEOUT: true,
  SMB_STATUS: true,
  RPC_FAULT: true,
  CA_DENIED: false,
  CA_UNAVAILABLE: true,
  UNSUPPORTED: false,
  CONFIG: false,
};

export class WcceError extends Error {
  readonly code: WcceErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: WcceErrorCode, message: string, options: WcceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WcceError';
    this.code = code;
    this.retryable = options.retryable ?? DEFAULT_RETRYABLE[code];
    if (options.status !== undefined) this.status = options.status >>> 0;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** Malformed bytes from a peer: names the structure, the field and the byte offset that failed. */
export class WcceProtocolError extends WcceError {
  readonly structure: string;
  readonly field: string;
  readonly offset: number;

  constructor(structure: string, field: string, offset: number, reason: string) {
    super('PROTOCOL', `${structure}.${field} at offset ${offset}: ${reason}`, {
      details: { structure, field, offset },
    });
    this.name = 'WcceProtocolError';
    this.structure = structure;
    this.field = field;
    this.offset = offset;
  }
}

export function isWcceError(e: unknown): e is WcceError {
  return e instanceof WcceError;
}

/** Formats a 32-bit status as 0xXXXXXXXX. */
export function hex32(value: number): string {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
