import { timingSafeEqual } from 'node:crypto';
import { Rc4 } from '../crypto/rc4.js';
import { WcceError } from '../errors.js';
import { NtlmFlags, hasFlag } from './flags.js';
import { deriveSessionKeys } from './keys.js';
import { hmacMd5 } from './ntlmv2.js';

/** NTLMSSP_MESSAGE_SIGNATURE length with extended session security, MS-NLMP 2.2.2.9.2. */
export const NTLM_SIGNATURE_LENGTH = 16;
const SIGNATURE_VERSION = 1;

/**
 * One direction of NTLM session security (MS-NLMP 3.4): a signing key, an RC4 handle keyed with
 * the sealing key that lives for the whole connection, and a sequence number starting at 0.
 */
export class NtlmDirection {
  private rc4: Rc4;
  private seq = 0;

  constructor(
    private readonly signKey: Buffer,
    private readonly sealKey: Buffer,
  ) {
    this.rc4 = new Rc4(sealKey);
  }

  get sequenceNumber(): number {
    return this.seq;
  }

  /** Re-key the RC4 handle, keeping the sequence number (MS-SPNG 3.1.5.1 after the mechListMIC). */
  resetRc4(): void {
    this.rc4 = new Rc4(this.sealKey);
  }

  /** @internal for rollback after a failed verification */
  snapshot(): { rc4: Rc4; seq: number } {
    return { rc4: this.rc4.clone(), seq: this.seq };
  }

  /** @internal */
  restore(s: { rc4: Rc4; seq: number }): void {
    this.rc4 = s.rc4;
    this.seq = s.seq;
  }

  crypt(data: Buffer): Buffer {
    return this.rc4.update(data);
  }

  /**
   * MAC(Handle, SigningKey, SeqNum, Message) with extended session security, MS-NLMP 3.4.4.2:
   * Checksum = HMAC_MD5(SigningKey, SeqNum ‖ Message)[0..7], RC4-encrypted with the sealing handle
   * when KEY_EXCH was negotiated; signature = Version(1) ‖ Checksum ‖ SeqNum. Consumes SeqNum.
   */
  mac(message: Buffer, keyExchange: boolean): Buffer {
    const seqBytes = Buffer.alloc(4);
    seqBytes.writeUInt32LE(this.seq >>> 0);
    let checksum = hmacMd5(this.signKey, seqBytes, message).subarray(0, 8);
    if (keyExchange) checksum = this.rc4.update(checksum);
    const sig = Buffer.alloc(NTLM_SIGNATURE_LENGTH);
    sig.writeUInt32LE(SIGNATURE_VERSION, 0);
    checksum.copy(sig, 4);
    sig.writeUInt32LE(this.seq >>> 0, 12);
    this.seq = (this.seq + 1) >>> 0;
    return sig;
  }
}

/**
 * NTLM message integrity and confidentiality for one established context (MS-NLMP 3.4.3,
 * 3.4.4 with NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY). The initiator sends with the client
 * keys and receives with the server keys; the acceptor the other way round.
 */
export class NtlmSealing {
  readonly outgoing: NtlmDirection;
  readonly incoming: NtlmDirection;
  private readonly keyExchange: boolean;

  constructor(role: 'initiator' | 'acceptor', flags: number, exportedSessionKey: Buffer) {
    if (!hasFlag(flags, NtlmFlags.NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
      // Without ESS, NTLM falls back to the NTLMv1 CRC32 signature (MS-NLMP 3.4.4.1): not supported.
      throw new WcceError('UNSUPPORTED', 'NTLM session security without extended session security is not supported');
    }
    const k = deriveSessionKeys(flags, exportedSessionKey);
    const client = new NtlmDirection(k.clientSignKey, k.clientSealKey);
    const server = new NtlmDirection(k.serverSignKey, k.serverSealKey);
    this.outgoing = role === 'initiator' ? client : server;
    this.incoming = role === 'initiator' ? server : client;
    this.keyExchange = hasFlag(flags, NtlmFlags.NEGOTIATE_KEY_EXCH);
  }

  /** GSS_GetMIC / PKT_INTEGRITY: the signature over `message`, MS-NLMP 3.4.4. */
  sign(message: Buffer): Buffer {
    return this.outgoing.mac(message, this.keyExchange);
  }

  /**
   * GSS_WrapEx / PKT_PRIVACY, MS-NLMP 3.4.3 and 3.4.6: encrypt `plaintext` with the RC4 handle,
   * then sign `signed` (defaults to the plaintext; DCE/RPC signs the whole PDU, MS-NLMP 3.4.6.1).
   */
  seal(plaintext: Buffer, signed: Buffer = plaintext): { sealed: Buffer; signature: Buffer } {
    const sealed = this.outgoing.crypt(plaintext);
    const signature = this.outgoing.mac(signed, this.keyExchange);
    return { sealed, signature };
  }

  /** GSS_VerifyMIC / PKT_INTEGRITY receive. Throws WcceError('INTEGRITY'); state is unchanged on failure. */
  verify(message: Buffer, signature: Buffer): void {
    const saved = this.incoming.snapshot();
    try {
      this.check(signature, () => message);
    } catch (e) {
      this.incoming.restore(saved);
      throw e;
    }
  }

  /**
   * GSS_UnwrapEx / PKT_PRIVACY receive: decrypt, rebuild the signed bytes from the plaintext and
   * check the signature and sequence number. Returns the plaintext. State is unchanged on failure.
   */
  unseal(sealed: Buffer, signature: Buffer, signed: (plaintext: Buffer) => Buffer = (p) => p): Buffer {
    const saved = this.incoming.snapshot();
    try {
      const plaintext = this.incoming.crypt(sealed);
      this.check(signature, () => signed(plaintext));
      return plaintext;
    } catch (e) {
      this.incoming.restore(saved);
      throw e;
    }
  }

  /** MS-SPNG 3.1.5.1: fresh RC4 handles in both directions after the mechListMIC; sequence numbers kept. */
  resetRc4(): void {
    this.outgoing.resetRc4();
    this.incoming.resetRc4();
  }

  private check(signature: Buffer, message: () => Buffer): void {
    if (signature.length !== NTLM_SIGNATURE_LENGTH) {
      throw new WcceError('INTEGRITY', `NTLM signature must be ${NTLM_SIGNATURE_LENGTH} bytes, got ${signature.length}`);
    }
    const version = signature.readUInt32LE(0);
    if (version !== SIGNATURE_VERSION) throw new WcceError('INTEGRITY', `NTLM signature version ${version}, expected 1`);
    const expectedSeq = this.incoming.sequenceNumber;
    const seq = signature.readUInt32LE(12);
    if (seq !== expectedSeq) {
      throw new WcceError('INTEGRITY', `NTLM sequence number ${seq}, expected ${expectedSeq} (replayed or reordered message)`);
    }
    const expected = this.incoming.mac(message(), this.keyExchange);
    if (!timingSafeEqual(expected, signature)) throw new WcceError('INTEGRITY', 'NTLM signature does not match the message');
  }
}
