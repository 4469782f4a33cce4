import { WcceError } from '../errors.js';

/**
 * Request attributes (pctbAttribs, MS-ICPR 3.2.4.1.1 / MS-WCCE 3.2.1.4.2.1.2): `Name:Value` lines
 * joined by LF, sent as UTF-16LE with the terminating NUL counted in cb.
 */
export interface RequestAttribute {
  name: string;
  value: string;
}

export type RequestAttributes = ReadonlyArray<RequestAttribute> | Readonly<Record<string, string>>;

function toList(attrs: RequestAttributes): RequestAttribute[] {
  return Array.isArray(attrs) ? [...(attrs as ReadonlyArray<RequestAttribute>)] : Object.entries(attrs).map(([name, value]) => ({ name, value }));
}

/** Builds the attribute string; refuses names or values that would break the line format. */
export function formatAttributes(attrs: RequestAttributes): string {
  return toList(attrs)
    .map(({ name, value }) => {
      if (name === '' || /[:\n\r\0]/.test(name)) throw new WcceError('CONFIG', `invalid request attribute name ${JSON.stringify(name)}`);
      if (/[\n\r\0]/.test(value)) throw new WcceError('CONFIG', `request attribute ${name} has a line break or NUL in its value`);
      return `${name}:${value}`;
    })
    .join('\n');
}

/** The attributes a2c / Certipy send: the template first, then any extra pairs. */
export function templateAttributes(template: string, extra: RequestAttributes = []): RequestAttribute[] {
  return [{ name: 'CertificateTemplate', value: template }, ...toList(extra)];
}

/**
 * Parses an attribute string as the CA does (MS-WCCE 3.2.1.4.2.1.2): split on LF, ignore lines
 * without a colon, drop white space and '-' from the name, trim the value. Names compare
 * case-insensitively at the CA, so callers should look them up with findAttribute().
 */
export function parseAttributes(text: string): RequestAttribute[] {
  const out: RequestAttribute[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).replace(/[\s-]/g, '');
    if (name === '') continue;
    out.push({ name, value: line.slice(colon + 1).trim() });
  }
  return out;
}

export function findAttribute(attrs: readonly RequestAttribute[], name: string): string | undefined {
  const key = name.toLowerCase();
  return attrs.find((a) => a.name.toLowerCase() === key)?.value;
}

/** UTF-16LE bytes with the NUL terminator (cb counts it: an empty string is 2 bytes). */
export function encodeAttributeBlob(text: string): Buffer {
  return Buffer.from(text + '\0', 'utf16le');
}

export type AttributeBlobResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Server side: MS-ICPR 3.2.4.1.1 requires cb to equal the byte length of the string including
 * its NUL, else the CA returns E_INVALIDARG. A NULL/empty blob is "no attributes".
 */
export function decodeAttributeBlob(blob: Buffer | null): AttributeBlobResult {
  if (blob === null || blob.length === 0) return { ok: true, text: '' };
  if (blob.length % 2 !== 0) return { ok: false, reason: `odd attribute length ${blob.length}` };
  let end = -1;
  for (let i = 0; i < blob.length; i += 2) {
    if (blob.readUInt16LE(i) === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) return { ok: false, reason: 'attribute string is not NUL-terminated' };
  if (end + 2 !== blob.length) return { ok: false, reason: `cb ${blob.length} but the string ends at ${end + 2}` };
  return { ok: true, text: blob.subarray(0, end).toString('utf16le') };
}
