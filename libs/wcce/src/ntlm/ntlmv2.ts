import { createHash, createHmac } from 'node:crypto';
import { md4 } from '../crypto/md4.js';
import { rc4k } from '../crypto/rc4.js';

/**
 * NTLMv2 response and key computations, MS-NLMP 3.3.2 and 3.4.5.1. Pure functions over bytes,
 * so each step can be checked against the MS-NLMP 4.2.4 vectors.
 */

export function hmacMd5(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
}

export function md5(...data: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const d of data) h.update(d);
  return h.digest();
}

/** NT hash = MD4(UNICODE(Passwd)), MS-NLMP 3.3.1 NTOWFv1 (the key pass-the-hash supplies). */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/** NTOWFv2 = HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(Uppercase(User), UserDom))), MS-NLMP 3.3.2. */
export function ntowfv2(ntHashValue: Uint8Array, user: string, domain: string): Buffer {
  return hmacMd5(ntHashValue, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
}

/**
 * The NTLMv2_CLIENT_CHALLENGE ("temp"), MS-NLMP 3.3.2 / 2.2.2.7:
 * 0x01 0x01 Z(6) Time ClientChallenge Z(4) ServerName [Z(4)].
 * `serverName` is the encoded AV_PAIR list (ending with MsvAvEOL). The spec and Windows append
 * Z(4) after it; impacket (HEAD) does not, which `trailingZeros: false` reproduces.
 */
export function ntlmv2ClientChallenge(timestamp: Buffer, clientChallenge: Buffer, serverName: Buffer, trailingZeros = true): Buffer {
  if (timestamp.length !== 8) throw new RangeError('timestamp must be an 8-byte FILETIME');
  if (clientChallenge.length !== 8) throw new RangeError('client challenge must be 8 bytes');
  return Buffer.concat([
    Buffer.from([0x01, 0x01]),
    Buffer.alloc(6),
    timestamp,
    clientChallenge,
    Buffer.alloc(4),
    serverName,
    Buffer.alloc(trailingZeros ? 4 : 0),
  ]);
}

/** NTProofStr = HMAC_MD5(ResponseKeyNT, ConcatenationOf(CHALLENGE_MESSAGE.ServerChallenge, temp)). */
export function ntProofStr(responseKeyNT: Uint8Array, serverChallenge: Uint8Array, temp: Uint8Array): Buffer {
  return hmacMd5(responseKeyNT, serverChallenge, temp);
}

/** LMv2 response = HMAC_MD5(ResponseKeyLM, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge (ResponseKeyLM = ResponseKeyNT). */
export function lmv2Response(responseKeyLM: Uint8Array, serverChallenge: Uint8Array, clientChallenge: Uint8Array): Buffer {
  return Buffer.concat([hmacMd5(responseKeyLM, serverChallenge, clientChallenge), clientChallenge]);
}

/** SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr), MS-NLMP 3.3.2. */
export function sessionBaseKey(responseKeyNT: Uint8Array, proof: Uint8Array): Buffer {
  return hmacMd5(responseKeyNT, proof);
}

/** KXKEY for NTLMv2: KeyExchangeKey = SessionBaseKey (MS-NLMP 3.4.5.1). */
export function keyExchangeKey(sessionBaseKeyValue: Buffer): Buffer {
  return Buffer.from(sessionBaseKeyValue);
}

/** EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey), MS-NLMP 3.1.5.1.2. */
export function encryptRandomSessionKey(kxKey: Uint8Array, exportedSessionKey: Uint8Array): Buffer {
  return rc4k(kxKey, exportedSessionKey);
}

/** ExportedSessionKey = RC4K(KeyExchangeKey, EncryptedRandomSessionKey), MS-NLMP 3.2.5.1.2. */
export function decryptRandomSessionKey(kxKey: Uint8Array, encrypted: Uint8Array): Buffer {
  return rc4k(kxKey, encrypted);
}

/** MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE-with-zero-MIC), MS-NLMP 3.1.5.1.2. */
export function computeMic(exportedSessionKey: Uint8Array, negotiate: Buffer, challenge: Buffer, authenticate: Buffer): Buffer {
  return hmacMd5(exportedSessionKey, negotiate, challenge, authenticate);
}

export interface Ntlmv2ResponseInput {
  responseKeyNT: Buffer;
  serverChallenge: Buffer;
  clientChallenge: Buffer;
  /** 8-byte FILETIME (little-endian). */
  timestamp: Buffer;
  /** Encoded AV_PAIR list that goes into the blob. */
  serverName: Buffer;
  trailingZeros?: boolean;
}

export interface Ntlmv2Response {
  ntProofStr: Buffer;
  ntChallengeResponse: Buffer;
  lmChallengeResponse: Buffer;
  sessionBaseKey: Buffer;
}

/** ComputeResponse for NTLMv2, MS-NLMP 3.3.2 (LMv2 always computed; the caller may send Z(24) instead). */
export function computeNtlmv2Response(input: Ntlmv2ResponseInput): Ntlmv2Response {
  const temp = ntlmv2ClientChallenge(input.timestamp, input.clientChallenge, input.serverName, input.trailingZeros ?? true);
  const proof = ntProofStr(input.responseKeyNT, input.serverChallenge, temp);
  return {
    ntProofStr: proof,
    ntChallengeResponse: Buffer.concat([proof, temp]),
    lmChallengeResponse: lmv2Response(input.responseKeyNT, input.serverChallenge, input.clientChallenge),
    sessionBaseKey: sessionBaseKey(input.responseKeyNT, proof),
  };
}
