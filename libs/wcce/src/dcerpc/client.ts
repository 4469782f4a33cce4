import { WcceError, WcceProtocolError, isWcceError } from '../errors.js';
import { RpcAuthLevel, RpcAuthType, type SecurityContext } from '../security/provider.js';
import type { RpcTransport } from '../transport/rpc-transport.js';
import { encodeAuth3 } from './auth3.js';
import { decodeBindAck, decodeBindNak, encodeBind, type BindAckPdu } from './bind.js';
import { ContextResult, DEFAULT_MAX_FRAG, PacketType, PfcFlags, packetTypeName } from './constants.js';
import { bindNakError, contextRejectedError, faultError } from './errors.js';
import { decodeCommonHeader, type AuthPadAlignment } from './header.js';
import { buildCallFragment, isProtectedLevel, maxChunkLength, openCallFragment, type CallSecurity } from './protection.js';
import { decodeFault, decodeResponse } from './request.js';
import { NDR20_SYNTAX, formatSyntax, type SyntaxId } from './syntax.js';

/**
 * Connection-oriented DCE/RPC client (C706 chapter 12, MS-RPCE 3.3.3) over one RpcTransport:
 * one association, one presentation context, one call at a time.
 */

/** impacket's auth_context_id (research notes §1.5); any constant works if it stays fixed. */
export const DEFAULT_AUTH_CONTEXT_ID = 0x1357f;

export interface RpcClientOptions {
  /** Alignment of stub + auth padding before the sec_trailer: 16 (MS-RPCE 2.2.2.11, default) or 4 (impacket). */
  authPadAlignment?: AuthPadAlignment;
  /** Largest reassembled response accepted (default 16 MiB). */
  maxResponseLength?: number;
  /** First call_id (default 1, as impacket: BIND=1, first REQUEST=2). */
  firstCallId?: number;
}

export interface RpcBindSecurity {
  context: SecurityContext;
  /** sec_trailer auth_type: 10 raw NTLMSSP, 9 SPNEGO, 16 Kerberos. */
  authType: RpcAuthType;
  /** CONNECT, PKT_INTEGRITY or PKT_PRIVACY (CALL and PKT are not offered). */
  authLevel: RpcAuthLevel;
  authContextId?: number;
  /**
   * How to finish a multi-leg exchange: 'auth3' (NTLM: BIND → BIND_ACK → AUTH3) or 'alter-context'
   * (Kerberos / SPNEGO: BIND → BIND_ACK → ALTER_CONTEXT → ALTER_CONTEXT_RESP, repeated while the
   * context needs more legs). 'auto' (default) uses auth3 for a raw NTLM context (auth type 10).
   */
  legs?: 'auto' | 'auth3' | 'alter-context';
}

export interface RpcBindOptions {
  /** Abstract syntax: interface UUID and version. */
  syntax: SyntaxId;
  /** Presentation context id (default 0). */
  contextId?: number;
  security?: RpcBindSecurity;
  /** Offered max_xmit_frag / max_recv_frag (default 4280; e.g. 1024 to force fragmentation). */
  maxXmitFrag?: number;
  maxRecvFrag?: number;
  /** Association group to join (default 0 = new). */
  assocGroupId?: number;
}

export interface RpcBinding {
  syntax: SyntaxId;
  contextId: number;
  /** Largest PDU we send: min(our offer, the server's max_recv_frag, the transport's limit). */
  maxXmitFrag: number;
  /**
   * Largest PDU we accept: what we offered as max_recv_frag, or the server's BIND_ACK max_xmit_frag
   * if that is larger (Samba, like Windows, never fragments below 2048 whatever the client offers).
   */
  maxRecvFrag: number;
  assocGroupId: number;
  secondaryAddress: string;
  authLevel: RpcAuthLevel;
  authType: number;
}

export interface RpcCallOptions {
  /** Object UUID (PFC_OBJECT_UUID), e.g. a DCOM IPID. */
  object?: string;
}

export class RpcClient {
  private nextCallId: number;
  private binding: RpcBinding | undefined;
  private security: CallSecurity | undefined;
  private broken: WcceError | undefined;
  private busy = false;
  private readonly padAlignment: AuthPadAlignment;
  private readonly maxResponseLength: number;

  constructor(
    private readonly transport: RpcTransport,
    options: RpcClientOptions = {},
  ) {
    this.nextCallId = options.firstCallId ?? 1;
    this.padAlignment = options.authPadAlignment ?? 16;
    this.maxResponseLength = options.maxResponseLength ?? 16 * 1024 * 1024;
  }

  /** The negotiated binding, once bind() succeeded. */
  get bound(): RpcBinding | undefined {
    return this.binding;
  }

  /** Bound and not poisoned by an integrity or framing failure: safe to reuse for another call. */
  get usable(): boolean {
    return this.binding !== undefined && this.broken === undefined;
  }

  private allocCallId(): number {
    const id = this.nextCallId;
    this.nextCallId = (this.nextCallId + 1) >>> 0 || 1;
    return id;
  }

  /**
   * Binds the association to one interface (C706 12.6.4.3), running the security exchange:
   * NTLM style BIND → BIND_ACK → AUTH3, or Kerberos/SPNEGO style with ALTER_CONTEXT legs
   * (MS-RPCE 3.3.1.5.2.1, research notes §4.3) until SecurityContext.step reports completion.
   */
  async bind(options: RpcBindOptions): Promise<RpcBinding> {
    if (this.binding) throw new WcceError('PROTOCOL', 'association already bound', { retryable: false });
    const maxXmit = options.maxXmitFrag ?? DEFAULT_MAX_FRAG;
    const maxRecv = options.maxRecvFrag ?? DEFAULT_MAX_FRAG;
    for (const [name, v] of [
      ['maxXmitFrag', maxXmit],
      ['maxRecvFrag', maxRecv],
    ] as const) {
      if (!Number.isInteger(v) || v < 256 || v > 0xffff) throw new WcceError('CONFIG', `${name} ${v} outside 256..65535`);
    }
    const contextId = options.contextId ?? 0;
    const sec = options.security;
    if (sec && sec.authLevel !== RpcAuthLevel.CONNECT && !isProtectedLevel(sec.authLevel)) {
      throw new WcceError('UNSUPPORTED', `auth level ${sec.authLevel} not supported (use CONNECT, PKT_INTEGRITY or PKT_PRIVACY)`);
    }
    const authContextId = sec?.authContextId ?? DEFAULT_AUTH_CONTEXT_ID;
    const contexts = [{ contextId, abstractSyntax: options.syntax, transferSyntaxes: [NDR20_SYNTAX] }];
    const callId = this.allocCallId();
    const authFor = (token: Buffer) => (sec ? { authType: sec.authType, authLevel: sec.authLevel, authContextId, authValue: token } : undefined);

    const firstToken = sec ? await this.step(sec.context, undefined) : undefined;
    const bindPdu = encodeBind({
      ptype: PacketType.BIND,
      callId,
      maxXmitFrag: maxXmit,
      maxRecvFrag: maxRecv,
      assocGroupId: options.assocGroupId ?? 0,
      contexts,
      ...(sec ? { auth: authFor(firstToken?.output ?? Buffer.alloc(0)) } : {}),
    });
    const ack = this.expectAck(await this.transport.transact(bindPdu), PacketType.BIND_ACK, callId, options.syntax);

    if (sec) {
      const legs = sec.legs ?? 'auto';
      const useAuth3 = legs === 'auth3' || (legs === 'auto' && sec.authType === RpcAuthType.WINNT);
      let reply: BindAckPdu = ack;
      for (let leg = 0; !sec.context.complete; leg++) {
        if (leg > 8) throw new WcceError('PROTOCOL', 'security exchange did not complete within 8 legs');
        const token = reply.auth?.authValue;
        if (!token || token.length === 0) throw new WcceError('PROTOCOL', `${packetTypeName(reply.ptype)} carries no security token`, { retryable: false });
        const step = await this.step(sec.context, token);
        if (!step.output || step.output.length === 0) {
          if (step.complete) break;
          throw new WcceError('PROTOCOL', 'security context produced no token but is not complete');
        }
        if (useAuth3) {
          // MS-RPCE 2.2.2.10: the third leg reuses the bind's call_id and gets no answer.
          await this.transport.write(encodeAuth3({ callId, auth: authFor(step.output)! }));
          if (!sec.context.complete) throw new WcceError('PROTOCOL', 'security context not complete after AUTH3');
          break;
        }
        const alter = encodeBind({
          ptype: PacketType.ALTER_CONTEXT,
          callId,
          maxXmitFrag: maxXmit,
          maxRecvFrag: maxRecv,
          assocGroupId: ack.assocGroupId,
          contexts,
          auth: authFor(step.output)!,
        });
        // Once the context is complete, a final token (e.g. SPNEGO accept-completed) needs no step.
        reply = this.expectAck(await this.transport.transact(alter), PacketType.ALTER_CONTEXT_RESP, callId, options.syntax);
      }
      this.security = { context: sec.context, authType: sec.authType, authLevel: sec.authLevel, authContextId, padAlignment: this.padAlignment };
    }

    this.binding = {
      syntax: options.syntax,
      contextId,
      maxXmitFrag: Math.min(maxXmit, ack.maxRecvFrag || maxXmit, this.transport.maxPduSize),
      // Samba's dcesrv_bind raises both sizes to at least 2048 (tested against Windows, its source
      // says) and announces that in max_xmit_frag: accept what the server said it will send.
      maxRecvFrag: Math.max(maxRecv, ack.maxXmitFrag),
      assocGroupId: ack.assocGroupId,
      secondaryAddress: ack.secondaryAddress,
      authLevel: sec?.authLevel ?? RpcAuthLevel.NONE,
      authType: sec?.authType ?? RpcAuthType.NONE,
    };
    // C706 12.6.3.1 requires at least 1432 (MIN_MAX_FRAG in constants.ts); smaller still works, absurd values do not.
    if (this.binding.maxXmitFrag < 256) throw new WcceError('PROTOCOL', `server max_recv_frag ${ack.maxRecvFrag} too small`);
    return this.binding;
  }

  private async step(context: SecurityContext, input: Buffer | undefined): Promise<{ output?: Buffer; complete: boolean }> {
    try {
      return await context.step(input);
    } catch (e) {
      if (isWcceError(e)) throw e;
      throw new WcceError('AUTH_FAILED', `security exchange failed: ${(e as Error).message}`, { cause: e });
    }
  }

  private expectAck(pdu: Buffer, ptype: typeof PacketType.BIND_ACK | typeof PacketType.ALTER_CONTEXT_RESP, callId: number, syntax: SyntaxId): BindAckPdu {
    const header = decodeCommonHeader(pdu, 'BindReply');
    if (header.ptype === PacketType.BIND_NAK) throw bindNakError(decodeBindNak(pdu).rejectReason);
    if (header.ptype === PacketType.FAULT) throw faultError(decodeFault(pdu).status, header.callId);
    if (header.ptype !== ptype) {
      throw new WcceProtocolError('BindReply', 'PTYPE', 2, `expected ${packetTypeName(ptype)}, got ${packetTypeName(header.ptype)}`);
    }
    const ack = decodeBindAck(pdu);
    if (ack.callId !== callId) throw new WcceProtocolError('BindReply', 'call_id', 12, `call_id ${ack.callId}, expected ${callId}`);
    const result = ack.results[0];
    if (!result) throw new WcceProtocolError('BindReply', 'p_result_list', 24, `no result for ${formatSyntax(syntax)}`);
    if (result.result !== ContextResult.ACCEPTANCE) throw contextRejectedError(syntax, result.result, result.reason);
    return ack;
  }

  /**
   * Calls `opnum` with an NDR stub and resolves the response stub (C706 12.4, MS-RPCE 3.3.1.5.x):
   * fragments the request to max_xmit_frag (each fragment protected separately), then reads and
   * verifies response fragments until PFC_LAST_FRAG and reassembles them.
   */
  async call(opnum: number, stub: Buffer, options: RpcCallOptions = {}): Promise<Buffer> {
    const binding = this.binding;
    if (!binding) throw new WcceError('PROTOCOL', 'call() before bind()', { retryable: false });
    if (this.broken) throw new WcceError('PROTOCOL', `association unusable after an earlier failure: ${this.broken.message}`, { cause: this.broken });
    if (this.busy) throw new WcceError('PROTOCOL', 'one call at a time on an association', { retryable: false });
    this.busy = true;
    try {
      return await this.exchange(binding, opnum, stub, options);
    } catch (e) {
      // A fault leaves the association usable; anything else (integrity, framing) does not.
      if (!(isWcceError(e) && e.code === 'RPC_FAULT')) this.broken = isWcceError(e) ? e : new WcceError('TRANSPORT', String(e), { cause: e });
      throw e;
    } finally {
      this.busy = false;
    }
  }

  private async exchange(binding: RpcBinding, opnum: number, stub: Buffer, options: RpcCallOptions): Promise<Buffer> {
    const callId = this.allocCallId();
    const base = { ptype: PacketType.REQUEST, callId, contextId: binding.contextId, opnum, ...(options.object ? { object: options.object } : {}) } as const;
    const chunkMax = maxChunkLength(binding.maxXmitFrag, base, this.security);
    let first: Buffer | undefined;
    for (let offset = 0; offset < stub.length || offset === 0; offset += chunkMax) {
      const chunk = stub.subarray(offset, offset + chunkMax);
      const last = offset + chunkMax >= stub.length;
      const flags = (offset === 0 ? PfcFlags.FIRST_FRAG : 0) | (last ? PfcFlags.LAST_FRAG : 0);
      const fragment = buildCallFragment({ ...base, flags, allocHint: stub.length - offset }, chunk, this.security);
      if (last) first = await this.transport.transact(fragment);
      else await this.transport.write(fragment);
      if (last) break;
    }
    return this.receiveResponse(first!, callId, opnum, binding);
  }

  private async receiveResponse(firstPdu: Buffer, callId: number, opnum: number, binding: RpcBinding): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    let pdu = firstPdu;
    for (let index = 0; ; index++) {
      const header = decodeCommonHeader(pdu, 'ResponsePdu');
      if (header.ptype === PacketType.FAULT) {
        const fault = decodeFault(pdu);
        if (fault.callId !== callId && fault.callId !== 0) {
          throw new WcceProtocolError('FaultPdu', 'call_id', 12, `call_id ${fault.callId}, expected ${callId}`);
        }
        throw faultError(fault.status, callId, opnum);
      }
      if (header.ptype !== PacketType.RESPONSE) {
        throw new WcceProtocolError('ResponsePdu', 'PTYPE', 2, `expected response, got ${packetTypeName(header.ptype)}`);
      }
      if (header.callId !== callId) throw new WcceProtocolError('ResponsePdu', 'call_id', 12, `call_id ${header.callId}, expected ${callId}`);
      if (header.fragLength > binding.maxRecvFrag) {
        throw new WcceProtocolError('ResponsePdu', 'frag_length', 8, `fragment of ${header.fragLength} bytes exceeds max_recv_frag ${binding.maxRecvFrag}`);
      }
      const isFirst = (header.flags & PfcFlags.FIRST_FRAG) !== 0;
      if (isFirst !== (index === 0)) {
        throw new WcceProtocolError(
          'ResponsePdu',
          'pfc_flags',
          3,
          index === 0 ? 'first fragment without PFC_FIRST_FRAG' : 'PFC_FIRST_FRAG in the middle of a response',
        );
      }
      const frame = decodeResponse(pdu);
      const part = openCallFragment(pdu, frame, this.security);
      total += part.length;
      if (total > this.maxResponseLength) {
        throw new WcceProtocolError('ResponsePdu', 'stub', 24, `response exceeds ${this.maxResponseLength} bytes`);
      }
      parts.push(part);
      if (header.flags & PfcFlags.LAST_FRAG) break;
      pdu = await this.transport.read();
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  async close(): Promise<void> {
    this.binding = undefined;
    this.security = undefined;
    await this.transport.close();
  }
}
