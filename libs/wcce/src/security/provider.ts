/**
 * The security-provider seam shared by SMB2 SESSION_SETUP and DCE/RPC binds.
 *
 * A SecurityContext is one authentication exchange and, once complete, the keys it produced.
 * NTLM (ntlm/) implements it now; Kerberos (kerberos/) plugs in later without touching smb2/ or
 * dcerpc/. SPNEGO (spnego/) wraps another context for SMB2 and for RPC auth type 9.
 *
 * Roles: an `initiator` context is a client; an `acceptor` context is the simulator's server side.
 */

/** MS-RPCE 2.2.1.1.7 security providers (auth_type in the sec_trailer). */
export const RpcAuthType = {
  NONE: 0,
  GSS_NEGOTIATE: 9, // SPNEGO
  WINNT: 10, // raw NTLMSSP
  GSS_KERBEROS: 16,
} as const;
export type RpcAuthType = (typeof RpcAuthType)[keyof typeof RpcAuthType];

/** MS-RPCE 2.2.1.1.8 authentication levels. */
export const RpcAuthLevel = {
  NONE: 1,
  CONNECT: 2,
  CALL: 3,
  PKT: 4,
  PKT_INTEGRITY: 5,
  PKT_PRIVACY: 6,
} as const;
export type RpcAuthLevel = (typeof RpcAuthLevel)[keyof typeof RpcAuthLevel];

export type SecurityRole = 'initiator' | 'acceptor';

export interface SecurityStep {
  /** Token to send to the peer, if this leg produces one (e.g. NTLM AUTHENTICATE). */
  output?: Buffer;
  /** True when the exchange is complete on this side. */
  complete: boolean;
}

/**
 * The parts of a DCE/RPC PDU a provider needs to sign or seal one fragment.
 * `header` is the 16- or 24-byte header with final frag_length/auth_length already set,
 * `stub` the (padded) stub, `trailer` the 8-byte sec_trailer.
 */
export interface RpcPduParts {
  header: Buffer;
  stub: Buffer;
  trailer: Buffer;
}

export interface SecurityContext {
  readonly mechanism: 'ntlm' | 'kerberos' | 'spnego';
  readonly role: SecurityRole;
  /** True once step() has reported completion. */
  readonly complete: boolean;

  /**
   * Advance the exchange. An initiator's first call has no input. Throws WcceError
   * ('AUTH_FAILED' for bad credentials, 'PROTOCOL' for malformed tokens, 'INTEGRITY' for a bad MIC).
   */
  step(input?: Buffer): Promise<SecurityStep>;

  /** The session key for SMB2 signing/encryption (MS-SMB2 3.2.5.3: first 16 bytes). */
  sessionKey(): Buffer;

  /** Authenticated peer identity, known on an acceptor once complete (e.g. `DOMAIN\\user`). */
  readonly peerName?: string;

  /** Length of the auth_value (verifier) this provider will produce for a stub of `stubLength` bytes. */
  verifierLength(level: RpcAuthLevel, stubLength: number): number;

  /**
   * Protect one outgoing PDU fragment at PKT_INTEGRITY or PKT_PRIVACY. Returns the stub to put on
   * the wire (sealed at privacy, unchanged at integrity) and the verifier (auth_value).
   * Consumes one outgoing sequence number.
   */
  wrap(level: RpcAuthLevel, pdu: RpcPduParts): { stub: Buffer; verifier: Buffer };

  /**
   * Verify (and at privacy, decrypt) one incoming fragment. Returns the plaintext stub (still
   * including auth padding). Throws WcceError('INTEGRITY') on a bad verifier or sequence number.
   * Consumes one incoming sequence number.
   */
  unwrap(level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): Buffer;
}

/** Credentials for NTLM: a password or an NT hash (pass-the-hash, as Certipy allows). */
export interface NtlmCredentials {
  kind: 'ntlm';
  domain: string;
  user: string;
  password?: string;
  /** 16-byte NT hash (MD4 of the UTF-16LE password) instead of a password. */
  ntHash?: Buffer;
  workstation?: string;
}

/** What a provider may need to know about the bind a context is for. */
export interface SecurityContextOptions {
  /**
   * The RPC auth level the bind will ask for. Kerberos requests confidentiality (GSS_C_CONF_FLAG)
   * only for PKT_PRIVACY: Samba sizes PKT_INTEGRITY verifiers as wrap tokens when CONF was asked
   * for and faults the call (samba-ad-dc.md 5.4).
   */
  authLevel?: RpcAuthLevel;
}

/** Makes fresh security contexts for each SMB session and each RPC bind. */
export interface SecurityProvider {
  readonly mechanism: 'ntlm' | 'kerberos';
  /**
   * A context for an SMB2 SESSION_SETUP (always SPNEGO-wrapped on the wire) or an RPC bind.
   * `target` is the server's host name (for SPNs and NTLM target names).
   */
  createContext(purpose: 'smb' | 'rpc', target: string, options?: SecurityContextOptions): SecurityContext;
  /** RPC auth_type to put in the sec_trailer for binds made with this provider. */
  readonly rpcAuthType: RpcAuthType;
  /** A stable key for pools: same credentials → same key; never contains the secret itself. */
  readonly cacheKey: string;
}
