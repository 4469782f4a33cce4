import { randomBytes } from 'node:crypto';

/** Unguessable resource ids, safe in URLs and as BullMQ job ids (no ':'). */
export function newId(): string {
  return randomBytes(15).toString('base64url');
}

/** Challenge tokens: 128+ bits of entropy, base64url (RFC 8555 §8.3). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}
