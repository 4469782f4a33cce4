/** Certificate thumbprints: the hash of the whole DER certificate. */
import { createHash } from 'node:crypto';

/** SHA-1 as upper-case hex: the form of the MDM CAThumbprint and of Windows' certificate store. */
export function sha1Thumbprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/** SHA-256 as upper-case hex (scepclient -ca-fingerprint accepts either case). */
export function sha256Thumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase();
}
