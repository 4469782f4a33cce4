/** Certificate serial numbers (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
import { randomBytes } from 'node:crypto';
import { PkiError } from './errors.js';

/**
 * A random 128-bit serial as lower-case hex. The DER INTEGER gets a 0x00 prefix when the top bit
 * is set, so it is always positive (17 octets at most); a zero first octet is avoided so the
 * encoding stays minimal.
 */
export function randomSerial(): string {
  const b = randomBytes(16);
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

/** Normalises a caller-supplied serial (hex string or bigint) to minimal lower-case hex. */
export function normaliseSerial(serial: string | bigint): string {
  let hex: string;
  if (typeof serial === 'bigint') {
    if (serial <= 0n)
      throw new PkiError('INVALID_ARGUMENT', 'serial must be positive', {
        field: 'serial',
      });
    hex = serial.toString(16);
  } else {
    const clean = serial.replace(/[:\s]/g, '').toLowerCase();
    if (!/^[0-9a-f]+$/.test(clean)) throw new PkiError('INVALID_ARGUMENT', `serial ${JSON.stringify(serial)} is not hex`, { field: 'serial' });
    hex = clean.replace(/^0+/, '');
    if (hex === '')
      throw new PkiError('INVALID_ARGUMENT', 'serial must be positive', {
        field: 'serial',
      });
  }
  if (hex.length % 2 === 1) hex = '0' + hex;
  // 20 octets including the sign octet that x509 adds when the top bit is set
  const octets = hex.length / 2 + (parseInt(hex.slice(0, 2), 16) >= 0x80 ? 1 : 0);
  if (octets > 20) throw new PkiError('INVALID_ARGUMENT', `serial of ${octets} octets exceeds 20 (RFC 5280)`, { field: 'serial' });
  return hex;
}
