/**
 * PEM (RFC 7468) encoding and decoding. Decoding accepts several blocks, CRLF line ends, text
 * around the blocks (as `openssl x509 -text` writes) and RFC 1421 headers (Proc-Type, DEK-Info),
 * which are returned so a caller can refuse encrypted keys with a clear message.
 */
import { PkiError } from './errors.js';

export interface PemBlock {
  /** the label between BEGIN and END, e.g. `CERTIFICATE` */
  label: string;
  der: Uint8Array;
  headers: Readonly<Record<string, string>>;
}

export const PemLabel = {
  certificate: 'CERTIFICATE',
  certificateRequest: 'CERTIFICATE REQUEST',
  privateKey: 'PRIVATE KEY',
  publicKey: 'PUBLIC KEY',
  pkcs7: 'PKCS7',
} as const;

export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

/** Several blocks with one label, concatenated (a chain file). */
export function encodePemBlocks(label: string, ders: readonly Uint8Array[]): string {
  return ders.map((d) => encodePem(label, d)).join('');
}

const BEGIN = /-----BEGIN ([A-Z0-9 #]+)-----/g;

export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
    const label = m[1]!;
    const endMarker = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const endIndex = text.indexOf(endMarker, bodyStart);
    if (endIndex < 0) {
      const otherEnd = /-----END ([A-Z0-9 #]+)-----/.exec(text.slice(bodyStart));
      throw new PemErrorAt(m.index, otherEnd ? `BEGIN ${label} closed by END ${otherEnd[1]}` : `BEGIN ${label} has no END line`);
    }
    const body = text.slice(bodyStart, endIndex);
    const nestedBegin = body.indexOf('-----BEGIN ');
    if (nestedBegin >= 0) throw new PemErrorAt(bodyStart + nestedBegin, `BEGIN inside the ${label} block`);
    const headers: Record<string, string> = {};
    const b64: string[] = [];
    for (const raw of body.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '') continue;
      const header = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (header && b64.length === 0) {
        headers[header[1]!] = header[2]!;
        continue;
      }
      b64.push(line);
    }
    const joined = b64.join('');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(joined) || joined.length % 4 === 1) {
      throw new PemErrorAt(bodyStart, `${label} block is not valid base64`);
    }
    const der = new Uint8Array(Buffer.from(joined, 'base64'));
    if (der.length === 0) throw new PemErrorAt(bodyStart, `${label} block is empty`);
    blocks.push({ label, der, headers });
    BEGIN.lastIndex = endIndex + endMarker.length;
  }
  return blocks;
}

/** The DER of every block with `label`; BAD_PEM if there is none. */
export function decodePemLabel(text: string, label: string): Uint8Array[] {
  const found = decodePem(text).filter((b) => b.label === label);
  if (found.length === 0)
    throw new PkiError('BAD_PEM', `no "${label}" PEM block found`, {
      field: label,
    });
  return found.map((b) => b.der);
}

export function decodePemFirst(text: string, label: string): Uint8Array {
  return decodePemLabel(text, label)[0]!;
}

export function looksLikePem(data: string | Uint8Array): boolean {
  const head = typeof data === 'string' ? data : Buffer.from(data.subarray(0, 4096)).toString('latin1');
  return head.includes('-----BEGIN ');
}

/** Accepts DER bytes or PEM (text or bytes) and returns the DER of the first `label` block. */
export function derFrom(input: string | Uint8Array, label: string): Uint8Array {
  if (typeof input === 'string') return decodePemFirst(input, label);
  if (looksLikePem(input)) return decodePemFirst(Buffer.from(input).toString('latin1'), label);
  return input;
}

class PemErrorAt extends PkiError {
  constructor(offset: number, reason: string) {
    super('BAD_PEM', `PEM at offset ${offset}: ${reason}`, {
      field: 'pem',
      offset,
    });
  }
}
