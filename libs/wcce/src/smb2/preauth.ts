import { createHash } from 'node:crypto';

/**
 * MS-SMB2 3.2.5.2 / 3.3.5.4 pre-authentication integrity (3.1.1, SHA-512):
 * H(0) = 64 zero bytes; H(n) = SHA-512(H(n-1) || message), message = the SMB2 message without the
 * direct-TCP header. The connection hash absorbs NEGOTIATE request and response; each session's
 * hash starts from the connection hash and absorbs every SESSION_SETUP request and every response
 * except the final STATUS_SUCCESS one.
 */
export const PREAUTH_HASH_SIZE = 64;

export function initialPreauthHash(): Buffer {
  return Buffer.alloc(PREAUTH_HASH_SIZE);
}

export function preauthUpdate(previous: Buffer, message: Buffer): Buffer {
  return createHash('sha512').update(previous).update(message).digest();
}
