/** KeyUsage bits by name (RFC 5280 §4.2.1.3), decoded from and encoded to the BIT STRING. */
import { DerReader, Tag, derTlv, tlvValue } from './der.js';
import { PkiError, type PkiErrorCode } from './errors.js';

export const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGES)[number];

export function isKeyUsageName(s: string): s is KeyUsageName {
  return (KEY_USAGES as readonly string[]).includes(s);
}

/** Decodes the extnValue of a KeyUsage extension. */
export function parseKeyUsage(der: Uint8Array, code: PkiErrorCode = 'BAD_DER'): KeyUsageName[] {
  const r = new DerReader(der, code);
  const t = r.readRoot('KeyUsage', Tag.BIT_STRING);
  const v = tlvValue(t);
  if (v.length === 0) r.fail('KeyUsage', t.offset, 'empty BIT STRING');
  const bytes = v.subarray(1);
  return KEY_USAGES.filter((_, bit) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
}

/** DER BIT STRING with named-bit trailing zeros removed (X.690 §11.2.2). */
export function encodeKeyUsage(usages: readonly KeyUsageName[]): Uint8Array {
  if (usages.length === 0)
    throw new PkiError('INVALID_ARGUMENT', 'KeyUsage needs at least one bit', {
      field: 'keyUsages',
    });
  let highest = -1;
  const bytes = new Uint8Array(2);
  for (const u of usages) {
    const bit = KEY_USAGES.indexOf(u);
    if (bit < 0) throw new PkiError('INVALID_ARGUMENT', `unknown key usage ${JSON.stringify(u)}`, { field: 'keyUsages' });
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    highest = Math.max(highest, bit);
  }
  const used = (highest >> 3) + 1;
  const unused = 7 - (highest & 7);
  return derTlv(Tag.BIT_STRING, Uint8Array.of(unused), bytes.subarray(0, used));
}

/** Decodes the extnValue of an ExtendedKeyUsage extension to its OIDs. */
export function parseExtendedKeyUsage(der: Uint8Array, code: PkiErrorCode = 'BAD_DER'): string[] {
  const r = new DerReader(der, code);
  return r.childrenOf(r.readRoot('ExtKeyUsage'), Tag.SEQUENCE, 'ExtKeyUsage').map((t, i) => r.oid(t, `ExtKeyUsage[${i}]`));
}
