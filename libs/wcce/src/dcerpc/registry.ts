import type { RpcAuthLevel } from '../security/provider.js';
import { FaultStatus } from './constants.js';
import { formatSyntax, type SyntaxId } from './syntax.js';

/**
 * The interfaces an RPC server exposes, keyed by abstract syntax (uuid + version).
 */

/** Who is calling, as the server's interface handlers see it. */
export interface RpcCallerIdentity {
  /** sec_trailer auth_type of the association (0 when unauthenticated). */
  authType: number;
  /** Protection level this call actually arrived with (NONE, CONNECT, PKT_INTEGRITY, PKT_PRIVACY). */
  authLevel: RpcAuthLevel;
  /** Authenticated principal from the acceptor context (e.g. `TEST\svc-enroll`). */
  peerName?: string;
  /**
   * True when the call is below the server's minimum level and the server was configured with
   * `belowMinimumLevel: 'handler'`: the handler must refuse it in its own way (AD CS answers
   * E_ACCESSDENIED in the ICPR return value, MS-ICPR 3.2.4.1.1).
   */
  belowMinimumLevel: boolean;
  assocGroupId: number;
  callId: number;
  contextId: number;
  /** Object UUID of the request (PFC_OBJECT_UUID), if any. */
  object?: string;
}

/** Handles one call: the request stub in, the response stub out. */
export type RpcOperationHandler = (opnum: number, stub: Buffer, caller: RpcCallerIdentity) => Promise<Buffer>;

export interface RpcInterfaceRegistration {
  syntax: SyntaxId;
  handler: RpcOperationHandler;
  /** Opnums 0..opnumCount-1 exist; others get nca_s_op_rng_error without reaching the handler. */
  opnumCount: number;
  name?: string;
}

/**
 * Thrown by a handler to answer with a FAULT PDU of the given status (e.g. the handler found the
 * stub malformed: FaultStatus.BAD_STUB_DATA).
 */
export class RpcServerFault extends Error {
  constructor(
    readonly status: number,
    message = `fault ${status}`,
  ) {
    super(message);
    this.name = 'RpcServerFault';
  }

  static badStubData(reason: string): RpcServerFault {
    return new RpcServerFault(FaultStatus.BAD_STUB_DATA, reason);
  }

  static accessDenied(reason = 'access denied'): RpcServerFault {
    return new RpcServerFault(FaultStatus.ACCESS_DENIED, reason);
  }
}

export type InterfaceLookup = { ok: true; registration: RpcInterfaceRegistration } | { ok: false; reason: 'abstract_syntax_not_supported' };

export class RpcInterfaceRegistry {
  private readonly entries: RpcInterfaceRegistration[] = [];

  register(registration: RpcInterfaceRegistration): this {
    if (this.entries.some((e) => e.syntax.uuid === registration.syntax.uuid && e.syntax.major === registration.syntax.major)) {
      throw new Error(`interface ${formatSyntax(registration.syntax)} registered twice`);
    }
    this.entries.push(registration);
    return this;
  }

  /**
   * C706 12.6.3.1 / MS-RPCE 3.3.1.5.x: same UUID and major version, and the server's minor version
   * at least the client's.
   */
  find(syntax: SyntaxId): InterfaceLookup {
    const found = this.entries.find((e) => e.syntax.uuid === syntax.uuid && e.syntax.major === syntax.major && e.syntax.minor >= syntax.minor);
    return found ? { ok: true, registration: found } : { ok: false, reason: 'abstract_syntax_not_supported' };
  }

  get size(): number {
    return this.entries.length;
  }
}
