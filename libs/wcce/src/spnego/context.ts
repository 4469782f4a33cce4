import { WcceError } from '../errors.js';
import type { RpcAuthLevel, RpcPduParts, SecurityContext, SecurityRole, SecurityStep } from '../security/provider.js';
import { NegState, decodeNegotiationToken, encodeMechTypeList, encodeNegTokenInit, encodeNegTokenResp, type NegTokenResp } from './tokens.js';

/**
 * What SPNEGO needs from an inner mechanism for the mechListMIC (RFC 4178 5, MS-SPNG 3.1.5.1):
 * GSS_GetMIC / GSS_VerifyMIC, whether the mech insists on a mechListMIC (NTLM does when its
 * AUTHENTICATE carried a MIC), and the NTLM RC4 reset that follows the MIC exchange.
 */
export interface MechListMicCapable {
  getMic(message: Buffer): Buffer;
  verifyMic(message: Buffer, mic: Buffer): void;
  readonly mechListMicRequired?: boolean;
  resetCryptoAfterMechListMic?(): void;
}

function micCapable(c: SecurityContext): c is SecurityContext & MechListMicCapable {
  const m = c as Partial<MechListMicCapable>;
  return typeof m.getMic === 'function' && typeof m.verifyMic === 'function';
}

export interface SpnegoContextOptions {
  role: SecurityRole;
  /** The mechanism context SPNEGO carries (NTLM now, Kerberos later), same role. */
  inner: SecurityContext;
  /** OID of the inner mechanism (MechOid.NTLMSSP, MechOid.MS_KRB5, ...). */
  mech: string;
  /** Initiator: the mechTypes offered, the inner mech first (default `[mech]`). */
  mechTypes?: readonly string[];
}

type Phase = 'start' | 'inner' | 'final' | 'done';

/**
 * SPNEGO (RFC 4178 with the MS-SPNG behaviour) around one inner SecurityContext, for SMB2
 * SESSION_SETUP and RPC auth type 9. Only the inner mechanism is ever negotiated: an acceptor
 * refuses initiators that do not offer it. Once complete, keys and wrap/unwrap are the inner mech's.
 */
export class SpnegoContext implements SecurityContext {
  readonly mechanism = 'spnego' as const;
  readonly role: SecurityRole;
  readonly inner: SecurityContext;
  readonly mech: string;
  private readonly offered: readonly string[];
  private phase: Phase = 'start';
  private mechTypesDer?: Buffer;
  /** Whether the chosen mech was the initiator's first choice (else a mechListMIC is mandatory). */
  private chosenFirst = true;
  private micSent = false;

  constructor(options: SpnegoContextOptions) {
    this.role = options.role;
    this.inner = options.inner;
    this.mech = options.mech;
    this.offered = options.mechTypes ?? [options.mech];
    if (this.role === 'initiator' && this.offered[0] !== this.mech) {
      throw new WcceError('CONFIG', 'SPNEGO initiator must offer its inner mechanism first');
    }
    if (this.inner.role !== this.role) throw new WcceError('CONFIG', 'SPNEGO and inner context roles differ');
  }

  get complete(): boolean {
    return this.phase === 'done';
  }

  get peerName(): string | undefined {
    return this.inner.peerName;
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    return this.role === 'initiator' ? this.initiatorStep(input) : this.acceptorStep(input);
  }

  sessionKey(): Buffer {
    return this.inner.sessionKey();
  }

  verifierLength(level: RpcAuthLevel, stubLength: number): number {
    return this.inner.verifierLength(level, stubLength);
  }

  wrap(level: RpcAuthLevel, pdu: RpcPduParts): { stub: Buffer; verifier: Buffer } {
    return this.inner.wrap(level, pdu);
  }

  unwrap(level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): Buffer {
    return this.inner.unwrap(level, pdu, verifier);
  }

  // ----- initiator (RFC 4178 3.2, MS-SPNG 3.1.5) ------------------------------------------------

  private async initiatorStep(input?: Buffer): Promise<SecurityStep> {
    switch (this.phase) {
      case 'start': {
        // An SMB2 NEGOTIATE hint (NegTokenInit2) may be passed in; it only has to be well formed.
        if (input !== undefined && input.length > 0) decodeNegotiationToken(input);
        const first = await this.inner.step();
        this.mechTypesDer = encodeMechTypeList(this.offered);
        this.phase = 'inner';
        return {
          output: encodeNegTokenInit({ mechTypes: this.offered, ...(first.output ? { mechToken: first.output } : {}) }),
          complete: false,
        };
      }
      case 'inner': {
        const resp = this.expectResp(input);
        if (resp.supportedMech !== undefined && resp.supportedMech !== this.mech) {
          throw new WcceError('UNSUPPORTED', `SPNEGO acceptor chose mechanism ${resp.supportedMech}`);
        }
        // A mechanism that finished with its first token (Kerberos without mutual authentication)
        // gets no reply token: the acceptor only says accept-completed, maybe with its mechListMIC.
        if (!this.inner.complete && !resp.responseToken) throw new WcceError('PROTOCOL', 'SPNEGO NegTokenResp carries no responseToken for the mechanism');
        const step: SecurityStep = this.inner.complete ? { complete: true } : await this.inner.step(resp.responseToken);
        if (!step.complete) {
          return { output: encodeNegTokenResp({ responseToken: step.output! }), complete: false };
        }
        const out: NegTokenResp = { negState: NegState.ACCEPT_INCOMPLETE };
        if (step.output) out.responseToken = step.output;
        const wantMic =
          (micCapable(this.inner) && this.inner.mechListMicRequired === true) || resp.negState === NegState.REQUEST_MIC || resp.mechListMic !== undefined;
        if (wantMic) out.mechListMic = this.requireMic().getMic(this.mechTypesDer!);
        this.micSent = wantMic;
        if (resp.negState === NegState.ACCEPT_COMPLETED) {
          // The acceptor finished with this token (e.g. Kerberos): its MIC, if any, came with it.
          this.finishInitiator(resp);
          return out.responseToken || out.mechListMic ? { output: encodeNegTokenResp(out), complete: true } : { complete: true };
        }
        this.phase = 'final';
        return { output: encodeNegTokenResp(out), complete: false };
      }
      case 'final': {
        // Some servers send no token with their final success; then there is nothing to verify.
        if (input === undefined || input.length === 0) {
          this.phase = 'done';
          return { complete: true };
        }
        const resp = this.expectResp(input);
        if (resp.negState !== undefined && resp.negState !== NegState.ACCEPT_COMPLETED) {
          throw new WcceError('PROTOCOL', `SPNEGO final negState ${resp.negState}, expected accept-completed`);
        }
        this.finishInitiator(resp);
        return { complete: true };
      }
      case 'done':
        throw new WcceError('PROTOCOL', 'SPNEGO initiator received a token after completion');
    }
  }

  private finishInitiator(resp: NegTokenResp): void {
    if (resp.mechListMic) this.requireMic().verifyMic(this.mechTypesDer!, resp.mechListMic);
    if (this.micSent || resp.mechListMic) this.resetAfterMic();
    this.phase = 'done';
  }

  // ----- acceptor (RFC 4178 3.2, MS-SPNG 3.2.5) -------------------------------------------------

  private async acceptorStep(input?: Buffer): Promise<SecurityStep> {
    if (input === undefined) throw new WcceError('PROTOCOL', 'SPNEGO acceptor needs an input token');
    switch (this.phase) {
      case 'start': {
        const token = decodeNegotiationToken(input);
        if (token.kind !== 'init') throw new WcceError('PROTOCOL', 'SPNEGO acceptor expected a NegTokenInit');
        const index = token.token.mechTypes.indexOf(this.mech);
        if (index < 0) {
          throw new WcceError('UNSUPPORTED', `SPNEGO initiator offers none of our mechanisms (${token.token.mechTypes.join(', ')})`);
        }
        this.chosenFirst = index === 0;
        this.mechTypesDer = token.token.mechTypesDer;
        this.phase = 'inner';
        // RFC 4178 3.2: the optimistic mechToken belongs to the initiator's first mech only.
        if (this.chosenFirst && token.token.mechToken) {
          return this.acceptInner(await this.inner.step(token.token.mechToken), token.token.mechListMic, true);
        }
        return {
          output: encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: this.mech }),
          complete: false,
        };
      }
      case 'inner': {
        const resp = this.expectResp(input);
        if (!resp.responseToken) throw new WcceError('PROTOCOL', 'SPNEGO NegTokenResp carries no responseToken for the mechanism');
        return this.acceptInner(await this.inner.step(resp.responseToken), resp.mechListMic, false);
      }
      default:
        throw new WcceError('PROTOCOL', 'SPNEGO acceptor received a token after completion');
    }
  }

  private acceptInner(step: SecurityStep, peerMic: Buffer | undefined, firstReply: boolean): SecurityStep {
    const out: NegTokenResp = { negState: step.complete ? NegState.ACCEPT_COMPLETED : NegState.ACCEPT_INCOMPLETE };
    if (firstReply) out.supportedMech = this.mech;
    if (step.output) out.responseToken = step.output;
    if (!step.complete) return { output: encodeNegTokenResp(out), complete: false };

    // MS-SPNG 3.2.5.1 / RFC 4178 5: verify the initiator's mechListMIC; it is mandatory when the mech
    // was not its first choice or when NTLM's AUTHENTICATE carried a MIC.
    const required = !this.chosenFirst || (micCapable(this.inner) && this.inner.mechListMicRequired === true);
    if (peerMic) {
      const mic = this.requireMic();
      mic.verifyMic(this.mechTypesDer!, peerMic);
      out.mechListMic = mic.getMic(this.mechTypesDer!);
      this.resetAfterMic();
    } else if (required) {
      throw new WcceError('INTEGRITY', 'SPNEGO mechListMIC missing although the mechanism requires it');
    }
    this.phase = 'done';
    return { output: encodeNegTokenResp(out), complete: true };
  }

  // ----- shared ---------------------------------------------------------------------------------

  private expectResp(input: Buffer | undefined): NegTokenResp {
    if (input === undefined) throw new WcceError('PROTOCOL', 'SPNEGO expected a NegTokenResp');
    const token = decodeNegotiationToken(input);
    if (token.kind !== 'resp') throw new WcceError('PROTOCOL', 'SPNEGO expected a NegTokenResp, got a NegTokenInit');
    if (token.token.negState === NegState.REJECT) throw new WcceError('AUTH_FAILED', 'SPNEGO peer rejected the authentication');
    return token.token;
  }

  private requireMic(): MechListMicCapable {
    if (!micCapable(this.inner)) throw new WcceError('UNSUPPORTED', 'inner mechanism cannot compute a mechListMIC');
    return this.inner;
  }

  /** MS-SPNG 3.1.5.1 "NTLM RC4 Key State for MechListMIC and First Signed Message". */
  private resetAfterMic(): void {
    if (micCapable(this.inner)) this.inner.resetCryptoAfterMechListMic?.();
  }
}
