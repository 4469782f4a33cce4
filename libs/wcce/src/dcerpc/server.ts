import { WcceError, isWcceError } from '../errors.js';
import { RpcAuthLevel, type SecurityContext } from '../security/provider.js';
import type { RpcPipeHandler } from '../transport/rpc-transport.js';
import { decodeAuth3 } from './auth3.js';
import { decodeBind, encodeBindAck, encodeBindNak, type BindPdu, type ContextResultItem } from './bind.js';
import { BindNakReason, ContextResult, DEFAULT_MAX_FRAG, FaultStatus, PacketType, PfcFlags, ProviderReason } from './constants.js';
import { decodeCommonHeader, type AuthPadAlignment } from './header.js';
import { buildCallFragment, isProtectedLevel, maxChunkLength, openCallFragment, type CallSecurity } from './protection.js';
import { RpcServerFault, type RpcCallerIdentity, type RpcInterfaceRegistration, type RpcInterfaceRegistry } from './registry.js';
import { decodeRequest, encodeFault, type RequestPdu } from './request.js';
import { NDR20_SYNTAX, isBindTimeFeatureSyntax, sameSyntax, type SyntaxId } from './syntax.js';

/**
 * The server half of one connection-oriented association (C706 12.4, MS-RPCE 3.3.2), as the
 * simulator's SMB2 server drives it for each opened pipe: PDUs in through onWrite/transceive,
 * replies out through takeReply/transceive. One bind, any number of sequential calls.
 */
export interface RpcServerOptions {
  registry: RpcInterfaceRegistry;
  /**
   * Makes an acceptor SecurityContext for a bind's auth_type, or undefined if the type is not
   * supported (→ BIND_NAK authentication_type_not_recognized).
   */
  acceptor?: (authType: number) => SecurityContext | undefined;
  /** Minimum protection level for calls (default NONE). */
  minAuthLevel?: RpcAuthLevel;
  /**
   * What a call below minAuthLevel gets. 'fault' (default): a FAULT with nca_s_fault_access_denied
   * (0x5), what Windows RPC does for a binding refused by the interface's security callback.
   * 'handler': the call reaches the handler with caller.belowMinimumLevel = true, so the ICPR
   * handler can answer as AD CS with IF_ENFORCEENCRYPTICERTREQUEST does: E_ACCESSDENIED in the
   * CertServerRequest return value (MS-ICPR 3.2.4.1.1; research notes §1.1).
   */
  belowMinimumLevel?: 'fault' | 'handler';
  /** Our max_xmit_frag / max_recv_frag (default 4280); the bind negotiates down from these. */
  maxXmitFrag?: number;
  maxRecvFrag?: number;
  /** Secondary address in BIND_ACK, e.g. `\PIPE\cert` (default ''). */
  secondaryAddress?: string;
  /** Association group id handed out in BIND_ACK (default 0x12345). */
  assocGroupId?: number;
  /** Auth padding alignment for our responses (16 per MS-RPCE 2.2.2.11, or 4). */
  authPadAlignment?: AuthPadAlignment;
  /** Largest reassembled request accepted (default 4 MiB). */
  maxRequestLength?: number;
  /** Called with errors the connection turned into FAULT/NAK replies (for logging). */
  onError?: (error: unknown) => void;
}

interface AuthState {
  context: SecurityContext;
  authType: number;
  authLevel: RpcAuthLevel;
  authContextId: number;
  /** AUTH3 / ALTER_CONTEXT failed: every call gets access denied. */
  failed: boolean;
}

interface PendingCall {
  callId: number;
  opnum: number;
  contextId: number;
  object?: string;
  level: RpcAuthLevel;
  parts: Buffer[];
  length: number;
}

export class RpcServerConnection implements RpcPipeHandler {
  private readonly outbox: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly contexts = new Map<number, RpcInterfaceRegistration>();
  private bound = false;
  private closed = false;
  /** After a protocol or integrity failure the security state is unusable: refuse further calls. */
  private poisoned = false;
  private auth: AuthState | undefined;
  private pending: PendingCall | undefined;
  /** A call already answered with a FAULT before its last fragment: its remaining fragments are dropped. */
  private discardCallId: number | undefined;
  private xmitFrag: number;
  private recvFrag: number;
  private assocGroupId: number;
  private readonly minAuthLevel: RpcAuthLevel;
  private readonly padAlignment: AuthPadAlignment;
  private readonly maxRequestLength: number;

  constructor(private readonly options: RpcServerOptions) {
    this.xmitFrag = options.maxXmitFrag ?? DEFAULT_MAX_FRAG;
    this.recvFrag = options.maxRecvFrag ?? DEFAULT_MAX_FRAG;
    this.assocGroupId = options.assocGroupId ?? 0x12345;
    this.minAuthLevel = options.minAuthLevel ?? RpcAuthLevel.NONE;
    this.padAlignment = options.authPadAlignment ?? 16;
    this.maxRequestLength = options.maxRequestLength ?? 4 * 1024 * 1024;
  }

  /** The authenticated peer, once the security exchange completed. */
  get peerName(): string | undefined {
    return this.auth?.context.complete ? this.auth.context.peerName : undefined;
  }

  onWrite(pdu: Buffer): Promise<void> {
    const run = this.chain.then(() => this.process(Buffer.from(pdu)));
    this.chain = run.catch(() => undefined);
    return run;
  }

  async takeReply(): Promise<Buffer | undefined> {
    await this.chain;
    return this.outbox.shift();
  }

  async transceive(pdu: Buffer): Promise<Buffer> {
    await this.onWrite(pdu);
    const reply = this.outbox.shift();
    if (!reply) throw new WcceError('PROTOCOL', 'transceive: the PDU produced no reply (auth3 or a non-last fragment)');
    return reply;
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    this.outbox.length = 0;
  }

  private report(error: unknown): void {
    this.options.onError?.(error);
  }

  private fault(callId: number, status: number, contextId = 0, didNotExecute = true): void {
    const flags = PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG | (didNotExecute ? PfcFlags.DID_NOT_EXECUTE : 0);
    this.outbox.push(encodeFault({ callId, contextId, status, flags }));
  }

  private async process(pdu: Buffer): Promise<void> {
    if (this.closed) throw new WcceError('TRANSPORT', 'pipe closed');
    let header;
    try {
      header = decodeCommonHeader(pdu, 'RpcPdu');
    } catch (e) {
      // Not even a header: answer a protocol-error fault and stop serving this pipe.
      this.report(e);
      this.poisoned = true;
      // Its call_id cannot be trusted either: fault with call_id 0 (which clients accept).
      this.fault(0, FaultStatus.NCA_S_PROTO_ERROR);
      return;
    }
    try {
      switch (header.ptype) {
        case PacketType.BIND:
          return await this.onBind(decodeBind(pdu));
        case PacketType.ALTER_CONTEXT:
          return await this.onAlterContext(decodeBind(pdu));
        case PacketType.AUTH3:
          return await this.onAuth3(pdu);
        case PacketType.REQUEST:
          return await this.onRequest(pdu);
        default:
          this.report(new WcceError('PROTOCOL', `unexpected packet type ${header.ptype} from client`));
          this.fault(header.callId, FaultStatus.NCA_S_PROTO_ERROR);
          return;
      }
    } catch (e) {
      this.report(e);
      this.poisoned = true;
      this.pending = undefined;
      if (header.ptype === PacketType.REQUEST && (header.flags & PfcFlags.LAST_FRAG) === 0) this.discardCallId = header.callId;
      this.fault(header.callId, isWcceError(e) && e.code === 'INTEGRITY' ? FaultStatus.SEC_PKG_ERROR : FaultStatus.NCA_S_PROTO_ERROR);
    }
  }

  /** Results for the offered presentation contexts (C706 12.6.4.4 p_result_list). */
  private negotiateContexts(bind: BindPdu): ContextResultItem[] {
    const zero: SyntaxId = { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 };
    return bind.contexts.map((c) => {
      if (c.transferSyntaxes.length > 0 && c.transferSyntaxes.every((t) => isBindTimeFeatureSyntax(t))) {
        // MS-RPCE 3.3.1.5.3: bind-time feature negotiation; we support none of the features.
        return { result: ContextResult.NEGOTIATE_ACK, reason: 0, transferSyntax: zero };
      }
      const lookup = this.options.registry.find(c.abstractSyntax);
      if (!lookup.ok) {
        return { result: ContextResult.PROVIDER_REJECTION, reason: ProviderReason.ABSTRACT_SYNTAX_NOT_SUPPORTED, transferSyntax: zero };
      }
      if (!c.transferSyntaxes.some((t) => sameSyntax(t, NDR20_SYNTAX))) {
        return { result: ContextResult.PROVIDER_REJECTION, reason: ProviderReason.PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED, transferSyntax: zero };
      }
      this.contexts.set(c.contextId, lookup.registration);
      return { result: ContextResult.ACCEPTANCE, reason: 0, transferSyntax: NDR20_SYNTAX };
    });
  }

  private async onBind(bind: BindPdu): Promise<void> {
    if (this.bound) {
      // MS-RPCE 3.3.1.5.6: one bind per association; a second is a protocol error.
      this.outbox.push(encodeBindNak({ callId: bind.callId, rejectReason: BindNakReason.NOT_SPECIFIED }));
      return;
    }
    if (bind.maxRecvFrag < 256 || bind.maxXmitFrag < 256) {
      this.outbox.push(encodeBindNak({ callId: bind.callId, rejectReason: BindNakReason.LOCAL_LIMIT_EXCEEDED }));
      return;
    }
    let outToken: Buffer | undefined;
    if (bind.auth) {
      const context = this.options.acceptor?.(bind.auth.authType);
      if (!context) {
        this.outbox.push(encodeBindNak({ callId: bind.callId, rejectReason: BindNakReason.AUTHENTICATION_TYPE_NOT_RECOGNIZED }));
        return;
      }
      if (bind.auth.authLevel < RpcAuthLevel.CONNECT || bind.auth.authLevel > RpcAuthLevel.PKT_PRIVACY) {
        this.outbox.push(encodeBindNak({ callId: bind.callId, rejectReason: BindNakReason.NOT_SPECIFIED }));
        return;
      }
      try {
        outToken = (await context.step(bind.auth.authValue)).output;
      } catch (e) {
        // Samba (dcesrv_core): a failed first leg answers BIND_NAK invalid_checksum.
        this.report(e);
        this.outbox.push(encodeBindNak({ callId: bind.callId, rejectReason: BindNakReason.INVALID_CHECKSUM }));
        return;
      }
      // CALL and PKT are upgraded to PKT_INTEGRITY for connection-oriented RPC (MS-RPCE 3.3.1.5.2).
      const level = bind.auth.authLevel === RpcAuthLevel.CALL || bind.auth.authLevel === RpcAuthLevel.PKT ? RpcAuthLevel.PKT_INTEGRITY : bind.auth.authLevel;
      this.auth = { context, authType: bind.auth.authType, authLevel: level as RpcAuthLevel, authContextId: bind.auth.authContextId, failed: false };
    }
    const results = this.negotiateContexts(bind);
    this.bound = true;
    // We send at most what the client can receive, and receive at most what we can.
    this.xmitFrag = Math.min(this.xmitFrag, bind.maxRecvFrag);
    this.recvFrag = Math.min(this.recvFrag, bind.maxXmitFrag);
    if (bind.assocGroupId !== 0) this.assocGroupId = bind.assocGroupId;
    this.outbox.push(
      encodeBindAck({
        ptype: PacketType.BIND_ACK,
        callId: bind.callId,
        maxXmitFrag: this.xmitFrag,
        maxRecvFrag: this.recvFrag,
        assocGroupId: this.assocGroupId,
        secondaryAddress: this.options.secondaryAddress ?? '',
        results,
        ...(this.auth && bind.auth
          ? {
              auth: {
                authType: this.auth.authType,
                authLevel: bind.auth.authLevel,
                authContextId: this.auth.authContextId,
                authValue: outToken ?? Buffer.alloc(0),
              },
            }
          : {}),
      }),
    );
  }

  private async onAlterContext(alter: BindPdu): Promise<void> {
    if (!this.bound) {
      this.fault(alter.callId, FaultStatus.NCA_S_PROTO_ERROR);
      return;
    }
    const results = this.negotiateContexts(alter);
    let outToken: Buffer | undefined;
    if (alter.auth) {
      const auth = this.auth;
      if (!auth || auth.authType !== alter.auth.authType || auth.authContextId !== alter.auth.authContextId) {
        this.fault(alter.callId, FaultStatus.ACCESS_DENIED);
        return;
      }
      try {
        outToken = (await auth.context.step(alter.auth.authValue)).output;
      } catch (e) {
        // Samba (dcesrv_core): an alter_context logon failure is a FAULT access_denied.
        this.report(e);
        auth.failed = true;
        this.fault(alter.callId, FaultStatus.ACCESS_DENIED);
        return;
      }
    }
    this.outbox.push(
      encodeBindAck({
        ptype: PacketType.ALTER_CONTEXT_RESP,
        callId: alter.callId,
        maxXmitFrag: this.xmitFrag,
        maxRecvFrag: this.recvFrag,
        assocGroupId: this.assocGroupId,
        secondaryAddress: '',
        results,
        ...(this.auth && alter.auth
          ? {
              auth: {
                authType: this.auth.authType,
                authLevel: alter.auth.authLevel,
                authContextId: this.auth.authContextId,
                authValue: outToken ?? Buffer.alloc(0),
              },
            }
          : {}),
      }),
    );
  }

  private async onAuth3(pdu: Buffer): Promise<void> {
    const auth3 = decodeAuth3(pdu);
    const auth = this.auth;
    // AUTH3 has no reply (MS-RPCE 2.2.2.10); a failure shows up as access denied on the first call.
    if (!auth || auth.context.complete || auth3.auth.authType !== auth.authType || auth3.auth.authContextId !== auth.authContextId) {
      if (auth) auth.failed = true;
      this.report(new WcceError('PROTOCOL', 'unexpected AUTH3'));
      return;
    }
    try {
      const step = await auth.context.step(auth3.auth.authValue);
      if (!step.complete) auth.failed = true;
    } catch (e) {
      this.report(e);
      auth.failed = true;
    }
  }

  /** The protection level this fragment actually carries. */
  private levelOf(req: RequestPdu): RpcAuthLevel {
    const auth = this.auth;
    if (!auth) return RpcAuthLevel.NONE;
    if (req.auth && isProtectedLevel(req.auth.authLevel)) return req.auth.authLevel as RpcAuthLevel;
    return auth.context.complete && !auth.failed ? RpcAuthLevel.CONNECT : RpcAuthLevel.NONE;
  }

  /** FAULT for a request fragment; the rest of that call's fragments are then dropped silently. */
  private refuse(req: RequestPdu, status: number): void {
    if ((req.flags & PfcFlags.LAST_FRAG) === 0) this.discardCallId = req.callId;
    this.fault(req.callId, status, req.contextId);
  }

  private async onRequest(pdu: Buffer): Promise<void> {
    const req = decodeRequest(pdu);
    if (this.discardCallId !== undefined && req.callId === this.discardCallId) {
      // Already refused (C706 12.4.2: the server may fault a call before its last fragment).
      if (req.flags & PfcFlags.LAST_FRAG) this.discardCallId = undefined;
      return;
    }
    this.discardCallId = undefined;
    if (this.poisoned) {
      this.refuse(req, FaultStatus.ACCESS_DENIED);
      return;
    }
    if (!this.bound) {
      this.refuse(req, FaultStatus.NCA_S_PROTO_ERROR);
      return;
    }
    if (pdu.length > this.recvFrag) {
      this.refuse(req, FaultStatus.NCA_S_PROTO_ERROR);
      this.pending = undefined;
      return;
    }
    const auth = this.auth;
    if (auth && (auth.failed || !auth.context.complete)) {
      this.pending = undefined;
      this.refuse(req, FaultStatus.ACCESS_DENIED);
      return;
    }
    const level = this.levelOf(req);
    if (auth && isProtectedLevel(level) && level !== auth.authLevel) {
      // A protected fragment at a level other than the bound one: refuse (MS-RPCE 3.3.1.5.2.2).
      this.pending = undefined;
      this.refuse(req, FaultStatus.ACCESS_DENIED);
      return;
    }

    const first = (req.flags & PfcFlags.FIRST_FRAG) !== 0;
    if (first && this.pending) {
      this.pending = undefined;
      this.refuse(req, FaultStatus.NCA_S_PROTO_ERROR);
      return;
    }
    if (!first && (!this.pending || this.pending.callId !== req.callId)) {
      this.pending = undefined;
      this.refuse(req, FaultStatus.NCA_S_PROTO_ERROR);
      return;
    }

    const sec = this.callSecurity(level);
    // Throws INTEGRITY for a bad verifier → FAULT rpc_s_sec_pkg_error and the pipe is poisoned.
    const part = openCallFragment(pdu, req, sec);
    const call: PendingCall = this.pending ?? {
      callId: req.callId,
      opnum: req.opnum,
      contextId: req.contextId,
      ...(req.object !== undefined ? { object: req.object } : {}),
      level,
      parts: [],
      length: 0,
    };
    call.parts.push(part);
    call.length += part.length;
    call.level = Math.min(call.level, level) as RpcAuthLevel;
    if (call.length > this.maxRequestLength) {
      this.pending = undefined;
      this.refuse(req, FaultStatus.NCA_S_PROTO_ERROR);
      return;
    }
    if ((req.flags & PfcFlags.LAST_FRAG) === 0) {
      this.pending = call;
      return;
    }
    this.pending = undefined;
    await this.dispatch(call, Buffer.concat(call.parts, call.length), sec);
  }

  private callSecurity(level: RpcAuthLevel): CallSecurity | undefined {
    const auth = this.auth;
    if (!auth || !isProtectedLevel(level)) return undefined;
    return { context: auth.context, authType: auth.authType, authLevel: level, authContextId: auth.authContextId, padAlignment: this.padAlignment };
  }

  private async dispatch(call: PendingCall, stub: Buffer, sec: CallSecurity | undefined): Promise<void> {
    const registration = this.contexts.get(call.contextId);
    if (!registration) {
      this.fault(call.callId, FaultStatus.NCA_S_UNK_IF, call.contextId);
      return;
    }
    const below = call.level < this.minAuthLevel;
    if (below && (this.options.belowMinimumLevel ?? 'fault') === 'fault') {
      // AD CS with IF_ENFORCEENCRYPTICERTREQUEST refuses non-privacy calls; as a FAULT here.
      this.fault(call.callId, FaultStatus.ACCESS_DENIED, call.contextId);
      return;
    }
    if (call.opnum >= registration.opnumCount) {
      this.fault(call.callId, FaultStatus.NCA_S_OP_RNG_ERROR, call.contextId);
      return;
    }
    const caller: RpcCallerIdentity = {
      authType: this.auth?.authType ?? 0,
      authLevel: call.level,
      ...(this.peerName !== undefined ? { peerName: this.peerName } : {}),
      belowMinimumLevel: below,
      assocGroupId: this.assocGroupId,
      callId: call.callId,
      contextId: call.contextId,
      ...(call.object !== undefined ? { object: call.object } : {}),
    };
    let out: Buffer;
    try {
      out = await registration.handler(call.opnum, stub, caller);
    } catch (e) {
      this.report(e);
      if (e instanceof RpcServerFault) this.fault(call.callId, e.status, call.contextId, false);
      // A stub the handler could not decode (WcceProtocolError from NDR) is bad stub data.
      else if (isWcceError(e) && e.code === 'PROTOCOL') this.fault(call.callId, FaultStatus.BAD_STUB_DATA, call.contextId);
      else this.fault(call.callId, FaultStatus.CALL_FAILED, call.contextId, false);
      return;
    }
    this.respond(call, out, sec);
  }

  /** Fragments the response to the client's max_recv_frag (C706 12.6.3.1), each fragment protected. */
  private respond(call: PendingCall, stub: Buffer, sec: CallSecurity | undefined): void {
    const base = { ptype: PacketType.RESPONSE, callId: call.callId, contextId: call.contextId, cancelCount: 0 } as const;
    const chunkMax = maxChunkLength(this.xmitFrag, base, sec);
    for (let offset = 0; offset < stub.length || offset === 0; offset += chunkMax) {
      const last = offset + chunkMax >= stub.length;
      const flags = (offset === 0 ? PfcFlags.FIRST_FRAG : 0) | (last ? PfcFlags.LAST_FRAG : 0);
      this.outbox.push(buildCallFragment({ ...base, flags, allocHint: stub.length - offset }, stub.subarray(offset, offset + chunkMax), sec));
      if (last) break;
    }
  }
}
