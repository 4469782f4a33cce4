import { malformed } from '../acme/problems.js';

/** An ARI certificate identifier (RFC 9773 §4.1): base64url(AKI keyIdentifier) "." base64url(serial DER value). */
export interface CertId {
  aki: string;
  /** Minimal lower-case hex of the serial's magnitude. */
  serial: string;
}

export function parseCertId(text: string): CertId {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(text);
  if (!m) throw malformed('certificate identifier must be base64url(AKI).base64url(serial)');
  const aki = Buffer.from(m[1] as string, 'base64url');
  const serial = Buffer.from(m[2] as string, 'base64url');
  if (aki.length === 0 || serial.length === 0 || serial.length > 21) throw malformed('certificate identifier has an empty or oversized part');
  // RFC 9773 §4.1: the serial's DER content octets, so a leading 0x00 sign octet may be present.
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  return { aki: aki.toString('hex'), serial: serial.subarray(start).toString('hex') };
}

/** The identifier of a certificate from its AKI and serial (hex), as a client computes it. */
export function formatCertId(akiHex: string, serialHex: string): string {
  let serial = Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex');
  if (serial.length > 0 && (serial[0] as number) & 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  return `${Buffer.from(akiHex, 'hex').toString('base64url')}.${serial.toString('base64url')}`;
}
