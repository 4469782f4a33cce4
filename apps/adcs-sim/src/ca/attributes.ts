/**
 * The request attribute text of ICertPassage::CertServerRequest (MS-WCCE 3.2.1.4.2.1.2 via
 * research/wcce-protocol.md §2.3): `Name:Value` lines joined by LF. Lines without a colon are
 * dropped; blanks and '-' are stripped from names, which compare case-insensitively; values are
 * trimmed. The UTF-16 wire decoding happens in the ICPR layer, not here.
 */
import type { SanEntry } from '@enrollgate/pki';

export class RequestAttributes {
  private readonly values = new Map<string, { name: string; value: string }>();

  /** Parses attribute text; a later duplicate wins, as AD CS keeps the last value. */
  static parse(text: string): RequestAttributes {
    const out = new RequestAttributes();
    for (const line of text.replace(/\0+$/, '').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).replace(/[\s-]/g, '');
      if (name === '') continue;
      out.set(name, line.slice(colon + 1).trim());
    }
    return out;
  }

  set(name: string, value: string): void {
    this.values.set(name.toLowerCase(), { name, value });
  }

  /** Adds only names not already present (CSR name/value pairs yield to the attribute text). */
  setDefault(name: string, value: string): void {
    if (!this.has(name)) this.set(name, value);
  }

  get(name: string): string | undefined {
    return this.values.get(name.replace(/[\s-]/g, '').toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries([...this.values.values()].map((v) => [v.name, v.value]));
  }
}

/**
 * The `SAN:` attribute (`dns=a.example.com&upn=u@corp&ipaddress=10.0.0.1&email=x@y&url=...`),
 * honoured only when the CA has EDITF_ATTRIBUTESUBJECTALTNAME2 set (the ESC6 setting).
 */
export function parseSanAttribute(value: string): SanEntry[] {
  const out: SanEntry[] = [];
  for (const part of value.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const v = decodeURIComponent(part.slice(eq + 1).trim());
    if (v === '') continue;
    if (key === 'dns') out.push({ type: 'dns', value: v });
    else if (key === 'upn') out.push({ type: 'upn', value: v });
    else if (key === 'email' || key === 'rfc822') out.push({ type: 'email', value: v });
    else if (key === 'ipaddress' || key === 'ip') out.push({ type: 'ip', value: v });
    else if (key === 'url' || key === 'uri') out.push({ type: 'uri', value: v });
  }
  return out;
}
