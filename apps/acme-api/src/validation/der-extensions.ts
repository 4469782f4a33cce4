/**
 * Just enough DER to read a certificate's extensions (tls-alpn-01 needs the value of
 * id-pe-acmeIdentifier, which neither node:crypto nor the pki lib's summary exposes).
 * Malformed input yields undefined, never an exception from a Buffer read.
 */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset] as number;
  let len = der[offset + 1] as number;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end;) {
    const t = readTlv(der, p, parent.end);
    if (!t) return undefined;
    out.push(t);
    p = t.end;
  }
  return out;
}

export interface CertificateExtension {
  /** DER of the OID's content octets, hex */
  oidHex: string;
  critical: boolean;
  value: Uint8Array;
}

export function certificateExtensions(der: Uint8Array): CertificateExtension[] | undefined {
  const cert = readTlv(der, 0, der.length);
  if (!cert || cert.tag !== 0x30) return undefined;
  const tbs = children(der, cert)?.[0];
  if (!tbs || tbs.tag !== 0x30) return undefined;
  const explicit = children(der, tbs)?.find((t) => t.tag === 0xa3);
  if (!explicit) return [];
  const seq = children(der, explicit)?.[0];
  if (!seq || seq.tag !== 0x30) return undefined;
  const out: CertificateExtension[] = [];
  for (const ext of children(der, seq) ?? []) {
    const parts = children(der, ext);
    if (!parts || parts.length < 2 || parts[0]?.tag !== 0x06) return undefined;
    const oid = parts[0];
    const critical = parts.length === 3 && parts[1]?.tag === 0x01 && der[parts[1].start] !== 0;
    const value = parts[parts.length - 1] as Tlv;
    if (value.tag !== 0x04) return undefined;
    out.push({ oidHex: Buffer.from(der.subarray(oid.start, oid.end)).toString('hex'), critical, value: der.subarray(value.start, value.end) });
  }
  return out;
}

/** The content of a DER OCTET STRING, or undefined. */
export function octetStringContent(der: Uint8Array): Uint8Array | undefined {
  const t = readTlv(der, 0, der.length);
  return t && t.tag === 0x04 && t.end === der.length ? der.subarray(t.start, t.end) : undefined;
}
