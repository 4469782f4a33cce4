/**
 * Numbers of the connection-oriented DCE/RPC protocol (C706 chapter 12, MS-RPCE 2.2.2).
 */

/** C706 12.6.4.1 / MS-RPCE 2.2.2.1 PTYPE. */
export const PacketType = {
  REQUEST: 0,
  RESPONSE: 2,
  FAULT: 3,
  BIND: 11,
  BIND_ACK: 12,
  BIND_NAK: 13,
  ALTER_CONTEXT: 14,
  ALTER_CONTEXT_RESP: 15,
  AUTH3: 16,
  SHUTDOWN: 17,
  CO_CANCEL: 18,
  ORPHANED: 19,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export function packetTypeName(ptype: number): string {
  for (const [name, value] of Object.entries(PacketType)) if (value === ptype) return name;
  return `ptype ${ptype}`;
}

/** C706 12.6.3.1 pfc_flags; MS-RPCE 2.2.2.3 reuses 0x04 as SUPPORT_HEADER_SIGN in binds. */
export const PfcFlags = {
  FIRST_FRAG: 0x01,
  LAST_FRAG: 0x02,
  PENDING_CANCEL: 0x04,
  SUPPORT_HEADER_SIGN: 0x04,
  CONC_MPX: 0x10,
  DID_NOT_EXECUTE: 0x20,
  MAYBE: 0x40,
  OBJECT_UUID: 0x80,
} as const;

/** The only data representation we speak: little-endian integers, ASCII, IEEE floats (C706 14.1). */
export const DREP_LE = Buffer.from([0x10, 0x00, 0x00, 0x00]);

export const RPC_VERSION = 5;
export const RPC_VERSION_MINOR = 0;

/** Common header (C706 12.6.3.1). */
export const COMMON_HEADER_LENGTH = 16;
/** REQUEST / RESPONSE / FAULT header incl. alloc_hint, context id, opnum or cancel count. */
export const CALL_HEADER_LENGTH = 24;
/** sec_trailer (MS-RPCE 2.2.2.11). */
export const SEC_TRAILER_LENGTH = 8;

/** Default fragment sizes Windows and impacket offer (MS-RPCE 3.3.1.5.2.1). */
export const DEFAULT_MAX_FRAG = 4280;
/** C706 12.6.3.1: "a minimum of 1432 octets" must be accepted for max_xmit/recv_frag. */
export const MIN_MAX_FRAG = 1432;

/**
 * Fault and reject status codes (C706 appendix E, MS-RPCE 2.2.2.12 / 3.3.1.5.4). Values are
 * what goes in the FAULT PDU's status field.
 */
export const FaultStatus = {
  /** RPC_S_ACCESS_DENIED / nca_s_fault_access_denied as Windows sends it. */
  ACCESS_DENIED: 0x00000005,
  /** RPC_S_PROTOCOL_ERROR. */
  PROTOCOL_ERROR: 0x000006c0,
  /** RPC_S_CALL_FAILED: the server failed while executing the call. */
  CALL_FAILED: 0x000006be,
  /** RPC_S_UNSUPPORTED_AUTHN_LEVEL. */
  UNSUPPORTED_AUTHN_LEVEL: 0x000006d2,
  /** RPC_X_BAD_STUB_DATA (what Windows answers for an undecodable stub). */
  BAD_STUB_DATA: 0x000006f7,
  /** RPC_S_SEC_PKG_ERROR (a verifier that does not check, MS-RPCE 3.3.1.5.2.2). */
  SEC_PKG_ERROR: 0x00000721,
  NCA_S_COMM_FAILURE: 0x1c010001,
  NCA_S_OP_RNG_ERROR: 0x1c010002,
  NCA_S_UNK_IF: 0x1c010003,
  NCA_S_WRONG_BOOT_TIME: 0x1c010006,
  NCA_S_YOU_CRASHED: 0x1c010009,
  NCA_S_PROTO_ERROR: 0x1c01000b,
  NCA_S_OUT_ARGS_TOO_BIG: 0x1c010013,
  NCA_S_SERVER_TOO_BUSY: 0x1c010014,
  NCA_S_UNSUPPORTED_TYPE: 0x1c010017,
  NCA_S_FAULT_INVALID_TAG: 0x1c000006,
  NCA_S_FAULT_REMOTE_NO_MEMORY: 0x1c000012,
  NCA_S_FAULT_CONTEXT_MISMATCH: 0x1c00001a,
  NCA_S_FAULT_NDR: 0x000006f7,
} as const;

const FAULT_NAMES: Record<number, string> = {
  0x00000005: 'nca_s_fault_access_denied',
  0x000006be: 'rpc_s_call_failed',
  0x000006c0: 'rpc_s_protocol_error',
  0x000006d2: 'rpc_s_unsupported_authn_level',
  0x000006f7: 'rpc_x_bad_stub_data',
  0x00000721: 'rpc_s_sec_pkg_error',
  0x1c010001: 'nca_s_comm_failure',
  0x1c010002: 'nca_s_op_rng_error',
  0x1c010003: 'nca_s_unk_if',
  0x1c010006: 'nca_s_wrong_boot_time',
  0x1c010009: 'nca_s_you_crashed',
  0x1c01000b: 'nca_s_proto_error',
  0x1c010013: 'nca_s_out_args_too_big',
  0x1c010014: 'nca_s_server_too_busy',
  0x1c010017: 'nca_s_unsupported_type',
  0x1c000006: 'nca_s_fault_invalid_tag',
  0x1c000012: 'nca_s_fault_remote_no_memory',
  0x1c00001a: 'nca_s_fault_context_mismatch',
};

export function faultName(status: number): string | undefined {
  return FAULT_NAMES[status >>> 0];
}

/** BIND_NAK provider_reject_reason (C706 12.6.4.1 p_reject_reason_t; MS-RPCE 2.2.2.5 adds 8, 9). */
export const BindNakReason = {
  NOT_SPECIFIED: 0,
  TEMPORARY_CONGESTION: 1,
  LOCAL_LIMIT_EXCEEDED: 2,
  CALLED_PADDR_UNKNOWN: 3,
  PROTOCOL_VERSION_NOT_SUPPORTED: 4,
  DEFAULT_CONTEXT_NOT_SUPPORTED: 5,
  USER_DATA_NOT_READABLE: 6,
  NO_PSAP_AVAILABLE: 7,
  AUTHENTICATION_TYPE_NOT_RECOGNIZED: 8,
  INVALID_CHECKSUM: 9,
} as const;

const NAK_NAMES = Object.fromEntries(Object.entries(BindNakReason).map(([k, v]) => [v, k.toLowerCase()])) as Record<number, string>;

export function bindNakReasonName(reason: number): string {
  return NAK_NAMES[reason] ?? `reason ${reason}`;
}

/** p_cont_def_result_t (C706 12.6.3.1), MS-RPCE 2.2.2.4 adds negotiate_ack. */
export const ContextResult = {
  ACCEPTANCE: 0,
  USER_REJECTION: 1,
  PROVIDER_REJECTION: 2,
  NEGOTIATE_ACK: 3,
} as const;

/** p_provider_reason_t (C706 12.6.3.1). */
export const ProviderReason = {
  NOT_SPECIFIED: 0,
  ABSTRACT_SYNTAX_NOT_SUPPORTED: 1,
  PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED: 2,
  LOCAL_LIMIT_EXCEEDED: 3,
} as const;

export function providerReasonName(reason: number): string {
  switch (reason) {
    case 0:
      return 'reason_not_specified';
    case 1:
      return 'abstract_syntax_not_supported';
    case 2:
      return 'proposed_transfer_syntaxes_not_supported';
    case 3:
      return 'local_limit_exceeded';
    default:
      return `reason ${reason}`;
  }
}
