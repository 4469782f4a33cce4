import { randomBytes } from 'node:crypto';
import { WcceError, isWcceError } from '../errors.js';
import { RpcAuthLevel, type RpcPduParts, type SecurityContext, type SecurityRole, type SecurityStep } from '../security/provider.js';
import { DerTag } from '../spnego/der.js';
import { gssFrame, gssUnframe } from '../spnego/tokens.js';
import { MechOid } from '../spnego/oids.js';
import { ChecksumType, KeyUsage, encryptionProfile, type KerberosKey } from './crypto/index.js';
import { krbErrorToWcce } from './errors.js';
import { getMic, micTokenLength, verifyMic } from './gss/mic.js';
import type { GssMessageKeys } from './gss/token-flags.js';
import { dceUnwrap, dceWrap, dceWrapVerifierLength, wrapEc, type WrapPadding } from './gss/wrap.js';
import type { KerberosTicket } from './kdc-client.js';
import { decodeApRep, decodeEncApRepPart, encodeApRep, encodeEncApRepPart } from './messages/ap-rep.js';
import { decodeApReq, encodeApReq } from './messages/ap-req.js';
import { GssFlags, decodeAuthenticator, encodeAuthenticator, gssChecksum, parseGssChecksum } from './messages/authenticator.js';
import { ApOptions } from './messages/constants.js';
import { openData, sealData } from './messages/encrypted-data.js';
import { decodeKrbError, isKrbError } from './messages/krb-error.js';
import { principalToString, type Principal } from './messages/principal.js';
import { decodeEncTicketPart } from './messages/ticket.js';
import type { KeytabEntry } from './files/keytab.js';

/** RFC 4121 4.1 inner token ids. */
const TOK_AP_REQ = Buffer.from([0x01, 0x00]);
const TOK_AP_REP = Buffer.from([0x02, 0x00]);
const TOK_ERROR = Buffer.from([0x03, 0x00]);

/** MS-KILE 3.2.5.2 / wcce-protocol.md 4.3: what a DCE-style RPC bind asks for. */
export const DCE_GSS_FLAGS = GssFlags.CONF | GssFlags.INTEG | GssFlags.SEQUENCE | GssFlags.REPLAY | GssFlags.MUTUAL | GssFlags.DCE_STYLE;

export interface KerberosInitiatorOptions {
  /** Supplies the service ticket (KerberosTicketManager.serviceTicket bound to the SPN). */
  ticket: () => Promise<KerberosTicket>;
  /**
   * `smb`: one GSS-framed AP-REQ (RFC 4121 4.1), mutual authentication optional.
   * `dce`: MS-KILE 3.4.5.1 three legs: raw AP-REQ with DCE_STYLE, AP-REP with the acceptor subkey,
   * our AP-REP back. MIT acceptors insist the DCE AP-REQ is not GSS-framed; Heimdal and Windows take both.
   */
  style: 'smb' | 'dce';
  /**
   * Ask for confidentiality (GSS_C_CONF_FLAG) in the authenticator checksum (default true). DCE style
   * turns it off for PKT_INTEGRITY binds: Samba then sizes verifiers as MIC tokens (samba-ad-dc.md 5.4).
   */
  confidentiality?: boolean;
  /** Request mutual authentication in SMB style (default false, like impacket). */
  mutual?: boolean;
  /** How to choose EC in wrap tokens (default 'ms-kile': EC = 16). */
  padding?: WrapPadding;
  /** Frame the DCE AP-REQ in the GSS header anyway (impacket does; default false). */
  dceGssFramed?: boolean;
  /** Verify incoming sequence numbers (default true; gaps forward are tolerated, replays are not). */
  checkSequence?: boolean;
  now?: () => Date;
  random?: (n: number) => Buffer;
}

type Phase = 'start' | 'ap-rep' | 'done';

/**
 * The Kerberos GSS-API mechanism (RFC 4121) as a SecurityContext initiator, for SMB2 SESSION_SETUP
 * (inside SPNEGO, MS KRB5 OID) and for DCE/RPC binds (SPNEGO auth type 9, DCE style).
 */
export class KerberosInitiatorContext implements SecurityContext {
  readonly mechanism = 'kerberos' as const;
  readonly role: SecurityRole = 'initiator';
  private phase: Phase = 'start';
  private ticket?: KerberosTicket;
  private subkey?: KerberosKey;
  private acceptorSubkey?: KerberosKey;
  private ctime = new Date(0);
  private cusec = 0;
  private sendSeq = 0n;
  private recvSeq = 0n;
  private readonly now: () => Date;
  private readonly random: (n: number) => Buffer;

  constructor(private readonly options: KerberosInitiatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? randomBytes;
  }

  get complete(): boolean {
    return this.phase === 'done';
  }

  get peerName(): string | undefined {
    return this.ticket ? principalToString(this.ticket.server) : undefined;
  }

  /** DCE style: SPNEGO sends our mechListMIC in the third leg (MS-SPNG 3.1.5.1). */
  get mechListMicRequired(): boolean {
    return this.options.style === 'dce';
  }

  private get mutual(): boolean {
    return this.options.style === 'dce' || this.options.mutual === true;
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    switch (this.phase) {
      case 'start':
        return { output: await this.apReq(), complete: this.mutual ? false : this.finish() };
      case 'ap-rep':
        if (!input || input.length === 0) throw new WcceError('PROTOCOL', 'Kerberos: expected an AP-REP from the acceptor');
        return this.onApRep(input);
      case 'done':
        throw new WcceError('PROTOCOL', 'Kerberos initiator received a token after completion');
    }
  }

  private finish(): boolean {
    this.phase = 'done';
    return true;
  }

  private async apReq(): Promise<Buffer> {
    const ticket = await this.options.ticket();
    this.ticket = ticket;
    const now = this.now();
    this.ctime = now;
    this.cusec = (now.getTime() % 1000) * 1000 + (this.random(1)[0]! % 1000);
    const profile = encryptionProfile(ticket.sessionKey.etype, { allowRc4: true });
    this.subkey = { etype: ticket.sessionKey.etype, value: profile.randomKey() };
    this.sendSeq = BigInt(this.random(4).readUInt32BE(0) & 0x3fffffff);
    const base =
      this.options.style === 'dce' ? DCE_GSS_FLAGS : GssFlags.INTEG | GssFlags.CONF | GssFlags.SEQUENCE | GssFlags.REPLAY | (this.mutual ? GssFlags.MUTUAL : 0);
    const flags = this.options.confidentiality === false ? base & ~GssFlags.CONF : base;
    const authenticator = encodeAuthenticator({
      crealm: ticket.client.realm,
      cname: ticket.client.name,
      cksum: gssChecksum(flags),
      cusec: this.cusec,
      ctime: this.ctime,
      subkey: this.subkey,
      seqNumber: Number(this.sendSeq),
    });
    const apReq = encodeApReq({
      apOptions: this.mutual ? ApOptions.MUTUAL_REQUIRED : 0,
      ticket: ticket.ticket,
      authenticator: sealData(ticket.sessionKey, KeyUsage.AP_REQ_AUTHENTICATOR, authenticator),
    });
    if (this.mutual) this.phase = 'ap-rep';
    if (this.options.style === 'dce' && !this.options.dceGssFramed) return apReq;
    return gssFrame(MechOid.KRB5, Buffer.concat([TOK_AP_REQ, apReq]));
  }

  private onApRep(input: Buffer): SecurityStep {
    const ticket = this.ticket!;
    let raw = input;
    if (input[0] === DerTag.APPLICATION_0) {
      const { innerToken } = gssUnframe(input, 'Kerberos AP-REP token');
      const tokId = innerToken.subarray(0, 2);
      raw = innerToken.subarray(2);
      if (tokId.equals(TOK_ERROR)) throw krbErrorToWcce(decodeKrbError(raw), `AP exchange with ${this.peerName}`, this.now());
      if (!tokId.equals(TOK_AP_REP)) throw new WcceError('PROTOCOL', `Kerberos: token id ${tokId.toString('hex')}, expected 0200 (AP-REP)`);
    } else if (isKrbError(input)) {
      throw krbErrorToWcce(decodeKrbError(input), `AP exchange with ${this.peerName}`, this.now());
    }
    const part = decodeEncApRepPart(openData(ticket.sessionKey, KeyUsage.AP_REP_ENC_PART, decodeApRep(raw)));
    if (part.ctime.getTime() !== Math.floor(this.ctime.getTime() / 1000) * 1000 || part.cusec !== this.cusec) {
      throw new WcceError('INTEGRITY', 'Kerberos AP-REP does not echo our authenticator time (mutual authentication failed)');
    }
    if (part.subkey) this.acceptorSubkey = part.subkey;
    const acceptorSeq = part.seqNumber ?? 0;
    this.recvSeq = BigInt(acceptorSeq);
    this.phase = 'done';
    if (this.options.style !== 'dce') return { complete: true };
    if (!this.acceptorSubkey) throw new WcceError('PROTOCOL', 'Kerberos DCE-style AP-REP carries no acceptor subkey');
    // MS-KILE 3.4.5.1 / MIT krb5_mk_rep_dce: the third leg echoes the acceptor's sequence number,
    // no subkey, encrypted with the ticket session key.
    const now = this.now();
    const third = encodeEncApRepPart({ ctime: now, cusec: (now.getTime() % 1000) * 1000, seqNumber: acceptorSeq });
    return { output: encodeApRep(sealData(ticket.sessionKey, KeyUsage.AP_REP_ENC_PART, third)), complete: true };
  }

  /** RFC 4121 / MS-KILE: acceptor subkey, else our subkey, else the ticket session key. */
  private keys(): GssMessageKeys {
    if (!this.complete) throw new WcceError('PROTOCOL', 'Kerberos context is not complete');
    const key = this.acceptorSubkey ?? this.subkey ?? this.ticket!.sessionKey;
    return { key: key.value, etype: key.etype, acceptorSubkey: this.acceptorSubkey !== undefined };
  }

  /** MS-SMB2 3.2.5.3: the GSS session key, first 16 bytes used by SMB. */
  sessionKey(): Buffer {
    const k = this.keys();
    return Buffer.from(k.key);
  }

  verifierLength(level: RpcAuthLevel, stubLength: number): number {
    const k = this.keys();
    if (level === RpcAuthLevel.PKT_PRIVACY) return dceWrapVerifierLength(k.etype, wrapEc(this.options.padding ?? 'ms-kile', stubLength));
    if (level === RpcAuthLevel.PKT_INTEGRITY) return micTokenLength(k.etype);
    throw new WcceError('UNSUPPORTED', `Kerberos verifier at RPC auth level ${level}`);
  }

  wrap(level: RpcAuthLevel, pdu: RpcPduParts): { stub: Buffer; verifier: Buffer } {
    return protect(this, this.keys(), level, pdu, this.nextSendSeq(), this.options.padding);
  }

  unwrap(level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): Buffer {
    const { data, seq } = unprotect(this.role, this.keys(), level, pdu, verifier);
    this.acceptSeq(seq);
    return data;
  }

  getMic(message: Buffer): Buffer {
    return getMic(this.keys(), this.role, this.nextSendSeq(), message);
  }

  verifyMic(message: Buffer, mic: Buffer): void {
    this.acceptSeq(verifyMic(this.keys(), this.role, message, mic).seq);
  }

  private nextSendSeq(): bigint {
    const s = this.sendSeq;
    this.sendSeq = (this.sendSeq + 1n) & 0xffffffffn;
    return s;
  }

  private acceptSeq(seq: bigint): void {
    if (this.options.checkSequence !== false && seq < this.recvSeq) {
      throw new WcceError('INTEGRITY', `Kerberos: replayed or out-of-order sequence number ${seq} (expected ≥ ${this.recvSeq})`);
    }
    this.recvSeq = seq + 1n;
  }
}

function protect(
  ctx: SecurityContext,
  keys: GssMessageKeys,
  level: RpcAuthLevel,
  pdu: RpcPduParts,
  seq: bigint,
  padding?: WrapPadding,
): { stub: Buffer; verifier: Buffer } {
  if (level === RpcAuthLevel.PKT_PRIVACY) {
    const w = dceWrap({ keys, sender: ctx.role, seq, data: pdu.stub, padding: padding ?? 'ms-kile' });
    return { stub: w.sealed, verifier: w.verifier };
  }
  if (level === RpcAuthLevel.PKT_INTEGRITY) {
    // Header signing is not negotiated: the MIC covers the stub only (wcce-protocol.md 4.4).
    return { stub: pdu.stub, verifier: getMic(keys, ctx.role, seq, pdu.stub) };
  }
  throw new WcceError('UNSUPPORTED', `Kerberos wrap at RPC auth level ${level}: only PKT_INTEGRITY and PKT_PRIVACY carry a verifier`);
}

function unprotect(role: SecurityRole, keys: GssMessageKeys, level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): { data: Buffer; seq: bigint } {
  try {
    if (level === RpcAuthLevel.PKT_PRIVACY) return dceUnwrap({ keys, receiver: role, verifier, sealed: pdu.stub });
    if (level === RpcAuthLevel.PKT_INTEGRITY) return { data: pdu.stub, seq: verifyMic(keys, role, pdu.stub, verifier).seq };
  } catch (e) {
    if (isWcceError(e) && e.code === 'PROTOCOL') throw new WcceError('INTEGRITY', `Kerberos verifier rejected: ${e.message}`, { cause: e });
    throw e;
  }
  throw new WcceError('UNSUPPORTED', `Kerberos unwrap at RPC auth level ${level}`);
}

export interface KerberosAcceptorOptions {
  /** The service's keys (a keytab from the KDC: `ktadd`). */
  keytab: KeytabEntry[];
  padding?: WrapPadding;
  /** Maximum clock skew accepted for authenticators (default 300 s, RFC 4120 appendix). */
  maxSkewSeconds?: number;
  now?: () => Date;
  random?: (n: number) => Buffer;
}

/**
 * The acceptor side (for adcs-sim and tests): decrypts the ticket with a service key from a keytab,
 * checks the authenticator, answers AP-REP (with an acceptor subkey in DCE style) and, in DCE style,
 * accepts the initiator's third-leg AP-REP.
 */
export class KerberosAcceptorContext implements SecurityContext {
  readonly mechanism = 'kerberos' as const;
  readonly role: SecurityRole = 'acceptor';
  private phase: 'start' | 'third-leg' | 'done' = 'start';
  private client?: Principal;
  private ticketKey?: KerberosKey;
  private initiatorSubkey?: KerberosKey;
  private acceptorSubkey?: KerberosKey;
  private sendSeq = 0n;
  private recvSeq = 0n;
  private readonly now: () => Date;
  private readonly random: (n: number) => Buffer;

  constructor(private readonly options: KerberosAcceptorOptions) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? randomBytes;
  }

  get complete(): boolean {
    return this.phase === 'done';
  }

  get peerName(): string | undefined {
    return this.client ? principalToString(this.client) : undefined;
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    if (!input) throw new WcceError('PROTOCOL', 'Kerberos acceptor needs an input token');
    if (this.phase === 'third-leg') return this.onThirdLeg(input);
    if (this.phase === 'done') throw new WcceError('PROTOCOL', 'Kerberos acceptor received a token after completion');
    let raw = input;
    if (input[0] === DerTag.APPLICATION_0) {
      const { innerToken } = gssUnframe(input, 'Kerberos AP-REQ token');
      if (!innerToken.subarray(0, 2).equals(TOK_AP_REQ)) throw new WcceError('PROTOCOL', 'Kerberos: expected token id 0100 (AP-REQ)');
      raw = innerToken.subarray(2);
    }
    const apReq = decodeApReq(raw);
    const tkt = apReq.ticket;
    const entry = this.options.keytab
      .filter(
        (e) =>
          e.key.etype === tkt.encPart.etype &&
          e.principal.realm.toUpperCase() === tkt.realm.toUpperCase() &&
          e.principal.name.nameString.join('/').toLowerCase() === tkt.sname.nameString.join('/').toLowerCase(),
      )
      .sort((a, b) => (tkt.encPart.kvno !== undefined ? Number(b.kvno === tkt.encPart.kvno) - Number(a.kvno === tkt.encPart.kvno) : b.kvno - a.kvno))[0];
    if (!entry)
      throw new WcceError('AUTH_FAILED', `Kerberos acceptor has no key for ${tkt.sname.nameString.join('/')}@${tkt.realm} etype ${tkt.encPart.etype}`);
    const encTicket = decodeEncTicketPart(openData(entry.key, KeyUsage.KDC_REP_TICKET, tkt.encPart));
    const auth = decodeAuthenticator(openData(encTicket.key, KeyUsage.AP_REQ_AUTHENTICATOR, apReq.authenticator));
    const now = this.now();
    const skew = (this.options.maxSkewSeconds ?? 300) * 1000;
    if (Math.abs(auth.ctime.getTime() - now.getTime()) > skew) throw new WcceError('AUTH_FAILED', 'Kerberos authenticator time outside the allowed clock skew');
    if (encTicket.endtime.getTime() < now.getTime()) throw new WcceError('AUTH_FAILED', 'Kerberos ticket expired');
    if (auth.crealm !== encTicket.crealm || auth.cname.nameString.join('/') !== encTicket.cname.nameString.join('/')) {
      throw new WcceError('AUTH_FAILED', 'Kerberos authenticator client does not match the ticket');
    }
    const gss = auth.cksum && auth.cksum.type === ChecksumType.GSSAPI ? parseGssChecksum(auth.cksum) : { flags: 0 };
    const dce = (gss.flags & GssFlags.DCE_STYLE) !== 0;
    this.client = { name: encTicket.cname, realm: encTicket.crealm };
    this.ticketKey = encTicket.key;
    if (auth.subkey) this.initiatorSubkey = auth.subkey;
    this.recvSeq = BigInt(auth.seqNumber ?? 0);
    const mutual = (apReq.apOptions & ApOptions.MUTUAL_REQUIRED) !== 0 || dce;
    if (!mutual) {
      this.phase = 'done';
      return { complete: true };
    }
    this.sendSeq = BigInt(this.random(4).readUInt32BE(0) & 0x3fffffff);
    if (dce || auth.subkey) {
      const etype = (auth.subkey ?? encTicket.key).etype;
      this.acceptorSubkey = { etype, value: encryptionProfile(etype, { allowRc4: true }).randomKey() };
    }
    const part = encodeEncApRepPart({
      ctime: auth.ctime,
      cusec: auth.cusec,
      ...(this.acceptorSubkey ? { subkey: this.acceptorSubkey } : {}),
      seqNumber: Number(this.sendSeq),
    });
    const apRep = encodeApRep(sealData(encTicket.key, KeyUsage.AP_REP_ENC_PART, part));
    if (dce) {
      this.phase = 'third-leg';
      return { output: apRep, complete: false };
    }
    this.phase = 'done';
    return { output: gssFrame(MechOid.KRB5, Buffer.concat([TOK_AP_REP, apRep])), complete: true };
  }

  private onThirdLeg(input: Buffer): SecurityStep {
    const part = decodeEncApRepPart(openData(this.ticketKey!, KeyUsage.AP_REP_ENC_PART, decodeApRep(input)));
    if (BigInt(part.seqNumber ?? -1) !== this.sendSeq) throw new WcceError('AUTH_FAILED', 'Kerberos DCE third leg does not echo our sequence number');
    this.phase = 'done';
    return { complete: true };
  }

  private keys(): GssMessageKeys {
    if (!this.complete) throw new WcceError('PROTOCOL', 'Kerberos context is not complete');
    const key = this.acceptorSubkey ?? this.initiatorSubkey ?? this.ticketKey!;
    return { key: key.value, etype: key.etype, acceptorSubkey: this.acceptorSubkey !== undefined };
  }

  sessionKey(): Buffer {
    return Buffer.from(this.keys().key);
  }

  verifierLength(level: RpcAuthLevel, stubLength: number): number {
    const k = this.keys();
    if (level === RpcAuthLevel.PKT_PRIVACY) return dceWrapVerifierLength(k.etype, wrapEc(this.options.padding ?? 'ms-kile', stubLength));
    if (level === RpcAuthLevel.PKT_INTEGRITY) return micTokenLength(k.etype);
    throw new WcceError('UNSUPPORTED', `Kerberos verifier at RPC auth level ${level}`);
  }

  wrap(level: RpcAuthLevel, pdu: RpcPduParts): { stub: Buffer; verifier: Buffer } {
    const seq = this.sendSeq;
    this.sendSeq = (this.sendSeq + 1n) & 0xffffffffn;
    return protect(this, this.keys(), level, pdu, seq, this.options.padding);
  }

  unwrap(level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): Buffer {
    const { data, seq } = unprotect(this.role, this.keys(), level, pdu, verifier);
    if (seq < this.recvSeq) throw new WcceError('INTEGRITY', `Kerberos: replayed sequence number ${seq}`);
    this.recvSeq = seq + 1n;
    return data;
  }

  getMic(message: Buffer): Buffer {
    const seq = this.sendSeq;
    this.sendSeq = (this.sendSeq + 1n) & 0xffffffffn;
    return getMic(this.keys(), this.role, seq, message);
  }

  verifyMic(message: Buffer, mic: Buffer): void {
    const { seq } = verifyMic(this.keys(), this.role, message, mic);
    if (seq < this.recvSeq) throw new WcceError('INTEGRITY', `Kerberos: replayed sequence number ${seq}`);
    this.recvSeq = seq + 1n;
  }
}
