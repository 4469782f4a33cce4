import { inspect } from 'node:util';

/**
 * An EAB MAC key (RFC 8555 §7.3.4). Its bytes are reachable through bytes() only; JSON, string
 * conversion and util.inspect print "[redacted]", so a logged key profile cannot leak it.
 */
export class MacKey {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = Buffer.from(bytes);
  }

  /** A copy of the key bytes (for the HS256/384/512 check of the EAB JWS). */
  bytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  get length(): number {
    return this.#bytes.length;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return `MacKey(${this.#bytes.length} bytes, [redacted])`;
  }
}

const B64 = /^[A-Za-z0-9_\-+/]+$/;

/**
 * Decodes an EAB `hmac` value: base64url as acme2certifier and cert-manager write it, padded or
 * not; standard base64 (`+`, `/`) is accepted too. Returns a reason instead of throwing.
 */
export function decodeMacKey(text: string): { key: MacKey } | { error: string } {
  const body = text.trim().replace(/=+$/, '');
  if (body === '') return { error: 'is empty' };
  if (!B64.test(body)) return { error: 'is not base64url (letters, digits, "-" and "_")' };
  if (/[-_]/.test(body) && /[+/]/.test(body)) return { error: 'mixes the base64 and base64url alphabets' };
  if (body.length % 4 === 1) return { error: 'has a length no base64url text can have' };
  const bytes = Buffer.from(body.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
  return { key: new MacKey(bytes) };
}
