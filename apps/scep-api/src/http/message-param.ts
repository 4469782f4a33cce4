/**
 * Decoding the `message` of a GET PKIOperation, with every encoding seen in the wild
 * (research/scep-windows.md §1.3): percent-encoded base64 (certmonger), a literal '+' that a form
 * decoder would turn into a space (jScep, fleet#45291), unencoded '+' and '/' (macOS), line breaks
 * every 64 characters (Cisco IOS, %0A), the URL-safe alphabet (old micromdm/Fleet Go clients), and
 * missing '=' padding. Reads the raw query string, never a form-decoded one.
 */

/** The raw (still percent-encoded) value of a query parameter, name matched case-insensitively. */
export function rawQueryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const wanted = name.toLowerCase();
  for (const part of url.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (percentDecode(key).toLowerCase() === wanted) return eq < 0 ? '' : part.slice(eq + 1);
  }
  return undefined;
}

/** Percent-decoding that never throws: malformed escapes stay as they are. '+' stays '+'. */
export function percentDecode(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length + 0 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(text[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('latin1');
}

/** Decodes a GET PKIOperation message into DER; undefined when it is not base64 in any accepted form. */
export function decodeMessageParam(raw: string): Uint8Array | undefined {
  let text = percentDecode(raw)
    // a space can only be a '+' that something form-decoded
    .replace(/ /g, '+')
    // Cisco's line breaks and any other whitespace
    .replace(/[\r\n\t]/g, '');
  // the URL-safe alphabet
  text = text.replace(/-/g, '+').replace(/_/g, '/');
  text = text.replace(/=+$/, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/]+$/.test(text) || text.length % 4 === 1) return undefined;
  const der = Buffer.from(text, 'base64');
  return der.length === 0 ? undefined : new Uint8Array(der);
}
