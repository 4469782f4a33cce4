import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WcceError, WcceProtocolError } from '../errors.js';
import { RpcAuthLevel, type NtlmCredentials, type RpcPduParts, type SecurityContext, type SecurityStep } from '../security/provider.js';
import { AvFlags, AvId, AvPairs, encodeFileTime, fileTimeFromDate } from './av-pairs.js';
import { GRANTABLE_FLAGS, IMPACKET_NEGOTIATE_FLAGS, NtlmFlags, WINDOWS_NEGOTIATE_FLAGS, hasFlag } from './flags.js';
import {
  AUTHENTICATE_MIC_OFFSET,
  DEFAULT_NTLM_VERSION,
  decodeAuthenticate,
  decodeChallenge,
  decodeNegotiate,
  encodeAuthenticate,
  encodeChallenge,
  encodeNegotiate,
  type NtlmVersion,
} from './messages.js';
import {
  computeMic,
  computeNtlmv2Response,
  decryptRandomSessionKey,
  encryptRandomSessionKey,
  keyExchangeKey,
  ntHash,
  ntProofStr,
  ntowfv2,
  sessionBaseKey,
} from './ntlmv2.js';
import { NTLM_SIGNATURE_LENGTH, NtlmSealing } from './sealing.js';

/**
 * How the initiator builds its AUTHENTICATE_MESSAGE:
 * - `windows`: Version field, MsvAvFlags with MIC-present, MsvAvChannelBindings Z(16), the SPN
 *   in MsvAvTargetName, the spec's trailing Z(4), LmChallengeResponse Z(24) when the server sent a
 *   timestamp, and MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE)
 *   (MS-NLMP 3.1.5.1.2) — what Windows clients send.
 * - `impacket`: no Version and no MIC, the server's AV pairs plus MsvAvTargetName "cifs/<DNS
 *   computer name>" and no trailing Z(4), LMv2 always — byte for byte what wcce-protocol.md
 *   Appendix A recorded from impacket.
 */
export type NtlmAuthenticateStyle = 'windows' | 'impacket';

/** Injectable randomness, for deterministic tests. Defaults to crypto.randomBytes. */
export interface NtlmRandomSource {
  clientChallenge?: () => Buffer;
  exportedSessionKey?: () => Buffer;
  serverChallenge?: () => Buffer;
}

export interface NtlmInitiatorOptions {
  credentials: NtlmCredentials;
  style?: NtlmAuthenticateStyle;
  /** SPN put in MsvAvTargetName by the `windows` style, e.g. `cifs/ca01.corp.local`. */
  spn?: string;
  /** NEGOTIATE flags; defaults per style (WINDOWS_NEGOTIATE_FLAGS / IMPACKET_NEGOTIATE_FLAGS). */
  negotiateFlags?: number;
  version?: NtlmVersion;
  random?: NtlmRandomSource;
  /** Clock used only when the server sent no MsvAvTimestamp. */
  now?: () => Date;
}

/** Looks up an account's NT hash (16 bytes), or undefined when the account is unknown. */
export type NtlmUserLookup = (user: string, domain: string) => Buffer | undefined | Promise<Buffer | undefined>;

export interface NtlmAcceptorOptions {
  lookupUser: NtlmUserLookup;
  netbiosDomain: string;
  netbiosComputer: string;
  dnsDomain?: string;
  dnsComputer?: string;
  dnsTree?: string;
  version?: NtlmVersion;
  random?: NtlmRandomSource;
  /** Clock for the CHALLENGE's MsvAvTimestamp. */
  now?: () => Date;
}

function randomOf(source: (() => Buffer) | undefined, length: number, what: string): Buffer {
  const value = source ? source() : randomBytes(length);
  if (value.length !== length) throw new WcceError('CONFIG', `${what} must be ${length} bytes`);
  return Buffer.from(value);
}

/**
 * What both roles share once authenticated: the exported session key and the per-direction
 * sign/seal state used for DCE/RPC verifiers (wcce-protocol.md 3.3) and GSS MICs (SPNEGO).
 */
abstract class NtlmContextBase implements SecurityContext {
  readonly mechanism = 'ntlm' as const;
  abstract readonly role: 'initiator' | 'acceptor';
  protected done = false;
  protected exportedSessionKey?: Buffer;
  protected sealing?: NtlmSealing;
  /** Flags the session keys were derived with (the AUTHENTICATE_MESSAGE's). */
  protected negotiatedFlags = 0;

  get complete(): boolean {
    return this.done;
  }

  /** Flags in force after authentication. */
  get flags(): number {
    return this.negotiatedFlags;
  }

  abstract step(input?: Buffer): Promise<SecurityStep>;

  /** The ExportedSessionKey (MS-SMB2 3.2.5.3 takes it as Session.SessionKey). */
  sessionKey(): Buffer {
    if (!this.done || !this.exportedSessionKey) throw new WcceError('PROTOCOL', 'NTLM context is not complete: no session key yet');
    return Buffer.from(this.exportedSessionKey);
  }

  verifierLength(_level: RpcAuthLevel, _stubLength: number): number {
    return NTLM_SIGNATURE_LENGTH;
  }

  /**
   * wcce-protocol.md 3.3 / MS-NLMP 3.4.6.1: sign header ‖ stub ‖ sec_trailer (everything but the
   * verifier), seal only the stub at PKT_PRIVACY; the verifier is Version ‖ Checksum ‖ SeqNum.
   */
  wrap(level: RpcAuthLevel, pdu: RpcPduParts): { stub: Buffer; verifier: Buffer } {
    const sealing = this.requireSealing();
    const signed = Buffer.concat([pdu.header, pdu.stub, pdu.trailer]);
    if (level === RpcAuthLevel.PKT_PRIVACY) {
      const { sealed, signature } = sealing.seal(pdu.stub, signed);
      return { stub: sealed, verifier: signature };
    }
    if (level === RpcAuthLevel.PKT_INTEGRITY) return { stub: Buffer.from(pdu.stub), verifier: sealing.sign(signed) };
    throw new WcceError('UNSUPPORTED', `NTLM wrap at RPC auth level ${level}: only PKT_INTEGRITY and PKT_PRIVACY carry a verifier`);
  }

  unwrap(level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): Buffer {
    const sealing = this.requireSealing();
    if (level === RpcAuthLevel.PKT_PRIVACY) {
      return sealing.unseal(pdu.stub, verifier, (plain) => Buffer.concat([pdu.header, plain, pdu.trailer]));
    }
    if (level === RpcAuthLevel.PKT_INTEGRITY) {
      sealing.verify(Buffer.concat([pdu.header, pdu.stub, pdu.trailer]), verifier);
      return Buffer.from(pdu.stub);
    }
    throw new WcceError('UNSUPPORTED', `NTLM unwrap at RPC auth level ${level}: only PKT_INTEGRITY and PKT_PRIVACY carry a verifier`);
  }

  /** GSS_GetMIC (MS-NLMP 3.4.4), used for the SPNEGO mechListMIC. Consumes an outgoing sequence number. */
  getMic(message: Buffer): Buffer {
    return this.requireSealing().sign(message);
  }

  /** GSS_VerifyMIC (MS-NLMP 3.4.4). Throws WcceError('INTEGRITY'). Consumes an incoming sequence number. */
  verifyMic(message: Buffer, mic: Buffer): void {
    this.requireSealing().verify(message, mic);
  }

  /** MS-SPNG 3.1.5.1: after the mechListMIC exchange both RC4 handles restart; sequence numbers continue. */
  resetCryptoAfterMechListMic(): void {
    this.sealing?.resetRc4();
  }

  protected establish(role: 'initiator' | 'acceptor', flags: number, exported: Buffer): void {
    this.negotiatedFlags = flags >>> 0;
    this.exportedSessionKey = exported;
    if (hasFlag(flags, NtlmFlags.NEGOTIATE_EXTENDED_SESSIONSECURITY)) this.sealing = new NtlmSealing(role, flags, exported);
    this.done = true;
  }

  private requireSealing(): NtlmSealing {
    if (!this.done) throw new WcceError('PROTOCOL', 'NTLM context is not complete');
    if (!this.sealing) {
      throw new WcceError('UNSUPPORTED', 'NTLM session security needs NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY');
    }
    return this.sealing;
  }
}

/** The client side of NTLMv2 (MS-NLMP 3.1.5): NEGOTIATE out, CHALLENGE in, AUTHENTICATE out. */
export class NtlmInitiatorContext extends NtlmContextBase {
  readonly role = 'initiator' as const;
  readonly style: NtlmAuthenticateStyle;
  private readonly user: string;
  private readonly domain: string;
  private readonly workstation: string;
  private readonly ntHashValue: Buffer;
  private readonly negotiateFlags: number;
  private negotiateMessage?: Buffer;
  private micSent = false;

  constructor(private readonly options: NtlmInitiatorOptions) {
    super();
    const c = options.credentials;
    if (c.ntHash !== undefined) {
      if (c.ntHash.length !== 16) throw new WcceError('CONFIG', 'NT hash must be 16 bytes');
      this.ntHashValue = Buffer.from(c.ntHash);
    } else if (c.password !== undefined) {
      this.ntHashValue = ntHash(c.password);
    } else {
      throw new WcceError('CONFIG', 'NTLM credentials need a password or an NT hash');
    }
    this.user = c.user;
    this.domain = c.domain;
    this.workstation = c.workstation ?? '';
    this.style = options.style ?? 'windows';
    this.negotiateFlags = (options.negotiateFlags ?? (this.style === 'windows' ? WINDOWS_NEGOTIATE_FLAGS : IMPACKET_NEGOTIATE_FLAGS)) >>> 0;
  }

  /** True when the AUTHENTICATE carried a MIC: MS-SPNG then requires a mechListMIC. */
  get mechListMicRequired(): boolean {
    return this.micSent;
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    if (this.done) throw new WcceError('PROTOCOL', 'NTLM initiator received a token after completion');
    if (!this.negotiateMessage) {
      if (input !== undefined && input.length > 0) throw new WcceError('PROTOCOL', 'NTLM initiator expects no input on its first step');
      this.negotiateMessage = encodeNegotiate({
        flags: this.negotiateFlags,
        version: this.options.version ?? DEFAULT_NTLM_VERSION,
      });
      return { output: Buffer.from(this.negotiateMessage), complete: false };
    }
    if (input === undefined) throw new WcceError('PROTOCOL', 'NTLM initiator expects a CHALLENGE_MESSAGE');
    const output = this.authenticate(input);
    return { output, complete: true };
  }

  private authenticate(challengeBytes: Buffer): Buffer {
    const challenge = decodeChallenge(challengeBytes);
    const windows = this.style === 'windows';

    // MS-NLMP 3.1.5.1.2: keep what we asked for and the server granted.
    let flags = (this.negotiateFlags & ~(GRANTABLE_FLAGS & ~challenge.flags)) >>> 0;
    if (!hasFlag(challenge.flags, NtlmFlags.NEGOTIATE_UNICODE)) {
      flags = ((flags & ~NtlmFlags.NEGOTIATE_UNICODE) | NtlmFlags.NEGOTIATE_OEM) >>> 0;
    }

    const serverTimestamp = challenge.targetInfo.get(AvId.TIMESTAMP);
    const timestamp = serverTimestamp?.length === 8 ? serverTimestamp : encodeFileTime(fileTimeFromDate((this.options.now ?? (() => new Date()))()));

    const avPairs = challenge.targetInfo.clone();
    if (windows) {
      if (serverTimestamp) {
        avPairs.set(AvId.FLAGS, u32le(avPairs.flags | AvFlags.MIC_PRESENT));
        this.micSent = true;
      }
      // MS-NLMP 3.1.5.1.2: no channel bindings → MsvAvChannelBindings = Z(16).
      avPairs.set(AvId.CHANNEL_BINDINGS, Buffer.alloc(16));
      if (this.options.spn) avPairs.setString(AvId.TARGET_NAME, this.options.spn);
    } else {
      // impacket: MsvAvTargetName = "cifs/" + MsvAvDnsComputerName, then a timestamp if missing.
      const host = avPairs.get(AvId.DNS_COMPUTER_NAME) ?? avPairs.get(AvId.NB_COMPUTER_NAME);
      if (host) avPairs.set(AvId.TARGET_NAME, Buffer.concat([Buffer.from('cifs/', 'utf16le'), host]));
      if (!serverTimestamp) avPairs.set(AvId.TIMESTAMP, timestamp);
    }

    const clientChallenge = randomOf(this.options.random?.clientChallenge, 8, 'client challenge');
    const responseKeyNT = ntowfv2(this.ntHashValue, this.user, this.domain);
    const response = computeNtlmv2Response({
      responseKeyNT,
      serverChallenge: challenge.serverChallenge,
      clientChallenge,
      timestamp,
      serverName: avPairs.encode(),
      trailingZeros: windows,
    });
    // MS-NLMP 3.3.2: with a server timestamp the client SHOULD send Z(24) instead of LMv2.
    const lmChallengeResponse = windows && serverTimestamp ? Buffer.alloc(24) : response.lmChallengeResponse;

    const kxKey = keyExchangeKey(response.sessionBaseKey);
    let exported: Buffer = kxKey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if (hasFlag(flags, NtlmFlags.NEGOTIATE_KEY_EXCH) && (hasFlag(flags, NtlmFlags.NEGOTIATE_SIGN) || hasFlag(flags, NtlmFlags.NEGOTIATE_SEAL))) {
      exported = randomOf(this.options.random?.exportedSessionKey, 16, 'exported session key');
      encryptedRandomSessionKey = encryptRandomSessionKey(kxKey, exported);
    }

    const message = {
      flags,
      lmChallengeResponse,
      ntChallengeResponse: response.ntChallengeResponse,
      domain: this.domain,
      user: this.user,
      workstation: this.workstation,
      encryptedRandomSessionKey,
    };
    let auth: Buffer;
    if (windows) {
      auth = encodeAuthenticate({
        ...message,
        version: this.options.version ?? DEFAULT_NTLM_VERSION,
        ...(this.micSent ? { mic: Buffer.alloc(16) } : {}),
      });
      if (this.micSent) {
        computeMic(exported, this.negotiateMessage!, challengeBytes, auth).copy(auth, AUTHENTICATE_MIC_OFFSET);
      }
    } else {
      auth = encodeAuthenticate(message);
    }
    this.establish('initiator', flags, exported);
    return auth;
  }
}

/**
 * The server side of NTLMv2 (MS-NLMP 3.2.5), for the AD CS simulator: NEGOTIATE in, CHALLENGE
 * out, AUTHENTICATE in (NTProofStr and MIC verified against the account's NT hash).
 */
export class NtlmAcceptorContext extends NtlmContextBase {
  readonly role = 'acceptor' as const;
  private negotiateMessage?: Buffer;
  private challengeMessage?: Buffer;
  private serverChallenge?: Buffer;
  private micReceived = false;
  private peer?: string;

  constructor(private readonly options: NtlmAcceptorOptions) {
    super();
  }

  /** `DOMAIN\user` as the client authenticated, once complete. */
  get peerName(): string | undefined {
    return this.peer;
  }

  /** True when the client's AUTHENTICATE carried a MIC: its SPNEGO mechListMIC is then required. */
  get mechListMicRequired(): boolean {
    return this.micReceived;
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    if (this.done) throw new WcceError('PROTOCOL', 'NTLM acceptor received a token after completion');
    if (input === undefined) throw new WcceError('PROTOCOL', 'NTLM acceptor needs an input token');
    if (!this.challengeMessage) {
      return { output: this.challenge(input), complete: false };
    }
    await this.authenticate(input);
    return { complete: true };
  }

  private challenge(negotiateBytes: Buffer): Buffer {
    const negotiate = decodeNegotiate(negotiateBytes);
    const F = NtlmFlags;
    const echoed =
      F.NEGOTIATE_UNICODE |
      F.REQUEST_TARGET |
      F.NEGOTIATE_SIGN |
      F.NEGOTIATE_SEAL |
      F.NEGOTIATE_ALWAYS_SIGN |
      F.NEGOTIATE_128 |
      F.NEGOTIATE_KEY_EXCH |
      F.NEGOTIATE_56;
    // MS-NLMP 3.2.5.1.1: grant what the client asked for and we support; NTLMv2 only, so ESS always.
    let flags =
      (negotiate.flags & echoed) |
      F.NEGOTIATE_NTLM |
      F.NEGOTIATE_TARGET_INFO |
      F.NEGOTIATE_EXTENDED_SESSIONSECURITY |
      F.NEGOTIATE_VERSION |
      F.TARGET_TYPE_SERVER;
    if (!hasFlag(negotiate.flags, F.NEGOTIATE_UNICODE)) flags |= F.NEGOTIATE_OEM;
    flags >>>= 0;

    const o = this.options;
    const info = new AvPairs().setString(AvId.NB_DOMAIN_NAME, o.netbiosDomain).setString(AvId.NB_COMPUTER_NAME, o.netbiosComputer);
    if (o.dnsDomain) info.setString(AvId.DNS_DOMAIN_NAME, o.dnsDomain);
    if (o.dnsComputer) info.setString(AvId.DNS_COMPUTER_NAME, o.dnsComputer);
    if (o.dnsTree) info.setString(AvId.DNS_TREE_NAME, o.dnsTree);
    info.set(AvId.TIMESTAMP, encodeFileTime(fileTimeFromDate((o.now ?? (() => new Date()))())));

    this.serverChallenge = randomOf(o.random?.serverChallenge, 8, 'server challenge');
    this.negotiateMessage = Buffer.from(negotiateBytes);
    this.challengeMessage = encodeChallenge({
      flags,
      serverChallenge: this.serverChallenge,
      targetName: o.netbiosDomain,
      targetInfo: info,
      version: o.version ?? DEFAULT_NTLM_VERSION,
    });
    return Buffer.from(this.challengeMessage);
  }

  private async authenticate(authBytes: Buffer): Promise<void> {
    const auth = decodeAuthenticate(authBytes);
    const nt = auth.ntChallengeResponse;
    // Anonymous (MS-NLMP 3.2.5.1.2: empty NtChallengeResponse) or LM-only logons are refused.
    if (nt.length === 0) throw new WcceError('AUTH_FAILED', 'anonymous or LM-only NTLM logon is not accepted', { status: 0xc000006d });
    // NTLMv2_RESPONSE: NTProofStr(16) ‖ NTLMv2_CLIENT_CHALLENGE (28 fixed bytes + AV pairs), MS-NLMP 2.2.2.8.
    if (nt.length < 16 + 28 + 4) {
      throw new WcceProtocolError('NTLM_AUTHENTICATE', 'NtChallengeResponse', 20, `${nt.length} bytes: not an NTLMv2 response (NTLMv1 is refused)`);
    }
    const proof = nt.subarray(0, 16);
    const temp = nt.subarray(16);
    if (temp[0] !== 1 || temp[1] !== 1) {
      throw new WcceProtocolError('NTLMv2_CLIENT_CHALLENGE', 'RespType', 16, `RespType/HiRespType ${temp[0]}/${temp[1]}, expected 1/1`);
    }
    const clientAvPairs = AvPairs.decode(temp.subarray(28), 'NTLMv2_CLIENT_CHALLENGE', 16 + 28);

    const who = `${auth.domain}\\${auth.user}`;
    const failed = (): WcceError => new WcceError('AUTH_FAILED', `NTLM logon failed for ${who}`, { status: 0xc000006d });
    const hash = await this.options.lookupUser(auth.user, auth.domain);
    if (!hash || hash.length !== 16) throw failed();
    // MS-NLMP 3.2.5.1.2: recompute the proof with the stored secret.
    const responseKeyNT = ntowfv2(hash, auth.user, auth.domain);
    const expected = ntProofStr(responseKeyNT, this.serverChallenge!, temp);
    if (!timingSafeEqual(expected, proof)) throw failed();

    const kxKey = keyExchangeKey(sessionBaseKey(responseKeyNT, proof));
    let exported: Buffer = kxKey;
    if (hasFlag(auth.flags, NtlmFlags.NEGOTIATE_KEY_EXCH) && (hasFlag(auth.flags, NtlmFlags.NEGOTIATE_SIGN) || hasFlag(auth.flags, NtlmFlags.NEGOTIATE_SEAL))) {
      if (auth.encryptedRandomSessionKey.length !== 16) {
        throw new WcceProtocolError('NTLM_AUTHENTICATE', 'EncryptedRandomSessionKey', 52, 'KEY_EXCH negotiated but the key is not 16 bytes');
      }
      exported = decryptRandomSessionKey(kxKey, auth.encryptedRandomSessionKey);
    }

    // MS-NLMP 3.2.5.1.2: the MIC is present when MsvAvFlags has bit 0x2.
    if ((clientAvPairs.flags & AvFlags.MIC_PRESENT) !== 0) {
      if (!auth.mic) throw new WcceProtocolError('NTLM_AUTHENTICATE', 'MIC', AUTHENTICATE_MIC_OFFSET, 'MsvAvFlags announces a MIC but the message has none');
      const zeroed = Buffer.from(authBytes);
      zeroed.fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + 16);
      const mic = computeMic(exported, this.negotiateMessage!, this.challengeMessage!, zeroed);
      if (!timingSafeEqual(mic, auth.mic)) throw new WcceError('INTEGRITY', `NTLM AUTHENTICATE MIC does not match for ${who}`);
      this.micReceived = true;
    }

    this.peer = who;
    this.establish('acceptor', auth.flags, exported);
  }
}

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
