import { kdfString, smb3Kdf } from '../crypto/kdf.js';
import { Smb2Dialect } from './constants.js';

/**
 * MS-SMB2 3.2.5.3.1 (client) / 3.3.5.5.3 (server): the keys of one authenticated session.
 * Cipher keys are named by direction so client and server code read the same:
 * the client encrypts with `clientToServerKey` and decrypts with `serverToClientKey`.
 */
export interface Smb2SessionKeys {
  /** First 16 bytes of the GSS session key, zero-padded if shorter. */
  sessionKey: Buffer;
  signingKey: Buffer;
  /** 3.x only. */
  clientToServerKey?: Buffer;
  serverToClientKey?: Buffer;
  applicationKey?: Buffer;
}

/** MS-SMB2 3.2.5.3.1: Session.SessionKey is the first 16 bytes of the GSS key, right-padded with zeros. */
export function normaliseSessionKey(gssKey: Buffer): Buffer {
  const out = Buffer.alloc(16);
  gssKey.copy(out, 0, 0, Math.min(16, gssKey.length));
  return out;
}

/**
 * Derives the key set for a dialect. For 3.1.1 `preauthHash` is the session's
 * PreauthIntegrityHashValue after the last SESSION_SETUP request (MS-SMB2 3.2.5.3.1).
 */
export function deriveSessionKeys(dialect: number, gssKey: Buffer, preauthHash?: Buffer): Smb2SessionKeys {
  const sessionKey = normaliseSessionKey(gssKey);
  if (dialect === Smb2Dialect.SMB202 || dialect === Smb2Dialect.SMB210) {
    return { sessionKey, signingKey: sessionKey };
  }
  if (dialect === Smb2Dialect.SMB311) {
    if (!preauthHash || preauthHash.length !== 64) throw new RangeError('SMB 3.1.1 key derivation needs the 64-byte pre-authentication integrity hash');
    return {
      sessionKey,
      signingKey: smb3Kdf(sessionKey, kdfString('SMBSigningKey'), preauthHash),
      clientToServerKey: smb3Kdf(sessionKey, kdfString('SMBC2SCipherKey'), preauthHash),
      serverToClientKey: smb3Kdf(sessionKey, kdfString('SMBS2CCipherKey'), preauthHash),
      applicationKey: smb3Kdf(sessionKey, kdfString('SMBAppKey'), preauthHash),
    };
  }
  // 3.0 and 3.0.2. Note "ServerIn " has a trailing space: both contexts are 10 bytes with the NUL.
  return {
    sessionKey,
    signingKey: smb3Kdf(sessionKey, kdfString('SMB2AESCMAC'), kdfString('SmbSign')),
    clientToServerKey: smb3Kdf(sessionKey, kdfString('SMB2AESCCM'), kdfString('ServerIn ')),
    serverToClientKey: smb3Kdf(sessionKey, kdfString('SMB2AESCCM'), kdfString('ServerOut')),
    applicationKey: smb3Kdf(sessionKey, kdfString('SMB2APP'), kdfString('SmbRpc')),
  };
}
