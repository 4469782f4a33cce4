import { WcceError } from '../errors.js';
import { Smb2Cipher, Smb2SigningAlgorithm } from './constants.js';
import { NonceSequence, decryptMessage, encryptMessage } from './encryption.js';
import { deriveSessionKeys, type Smb2SessionKeys } from './keys.js';
import { defaultSigningAlgorithm, isSigned, signMessage, verifySignature } from './signing.js';

/**
 * The signing and sealing state of one authenticated SMB2 session, for either side of it.
 * Built once SESSION_SETUP completes (MS-SMB2 3.2.5.3.1 client, 3.3.5.5.3 server).
 */
export interface SessionSecurityOptions {
  role: 'client' | 'server';
  dialect: number;
  sessionId: bigint;
  /** The GSS context's session key (NTLM ExportedSessionKey, Kerberos subkey). */
  gssKey: Buffer;
  /** 3.1.1: the session's pre-auth hash after the last SESSION_SETUP request. */
  preauthHash?: Buffer;
  /** 3.1.1 SIGNING_CAPABILITIES choice; otherwise by dialect. */
  signingAlgorithm?: Smb2SigningAlgorithm;
  /** The connection's cipher (3.0/3.0.2: always AES-128-CCM; 3.1.1: negotiated), if any. */
  cipher?: Smb2Cipher;
}

export class SessionSecurity {
  readonly keys: Smb2SessionKeys;
  readonly signingAlgorithm: Smb2SigningAlgorithm;
  readonly cipher?: Smb2Cipher;
  readonly sessionId: bigint;
  private readonly role: 'client' | 'server';
  private readonly nonces?: NonceSequence;

  constructor(opts: SessionSecurityOptions) {
    this.keys = deriveSessionKeys(opts.dialect, opts.gssKey, opts.preauthHash);
    this.signingAlgorithm = opts.signingAlgorithm ?? defaultSigningAlgorithm(opts.dialect);
    this.sessionId = opts.sessionId;
    this.role = opts.role;
    if (opts.cipher !== undefined && this.keys.clientToServerKey) {
      this.cipher = opts.cipher;
      this.nonces = new NonceSequence(opts.cipher);
    }
  }

  get canEncrypt(): boolean {
    return this.cipher !== undefined;
  }

  sign(message: Buffer): void {
    signMessage(this.signingAlgorithm, this.keys.signingKey, message);
  }

  /** Throws INTEGRITY when the message is unsigned or its signature does not check. */
  verify(message: Buffer, what: string): void {
    if (!isSigned(message)) throw new WcceError('INTEGRITY', `${what}: message is not signed`);
    if (!verifySignature(this.signingAlgorithm, this.keys.signingKey, message)) {
      throw new WcceError('INTEGRITY', `${what}: bad SMB2 signature`);
    }
  }

  encrypt(message: Buffer): Buffer {
    if (this.cipher === undefined || !this.nonces) throw new WcceError('UNSUPPORTED', 'encryption was not negotiated for this session');
    const key = this.role === 'client' ? this.keys.clientToServerKey! : this.keys.serverToClientKey!;
    return encryptMessage(this.cipher, key, this.sessionId, message, this.nonces.next());
  }

  decrypt(transformed: Buffer): Buffer {
    if (this.cipher === undefined) throw new WcceError('PROTOCOL', 'encrypted message on a session without encryption keys');
    const key = this.role === 'client' ? this.keys.serverToClientKey! : this.keys.clientToServerKey!;
    return decryptMessage(this.cipher, key, transformed);
  }
}
