import { WcceError } from '../../errors.js';
import {
  DerTag,
  Fields,
  derFields,
  derInteger,
  derKerberosString,
  derSequenceOf,
  readInteger,
  readKerberosString,
  readSequenceOf,
  type DerElement,
} from '../asn1/der.js';
import { NameType } from './constants.js';

/** PrincipalName, RFC 4120 5.2.2. */
export interface PrincipalName {
  nameType: number;
  nameString: string[];
}

export function encodePrincipalName(p: PrincipalName): Buffer {
  return derFields([
    [0, derInteger(p.nameType)],
    [1, derSequenceOf(p.nameString.map(derKerberosString))],
  ]);
}

export function decodePrincipalName(e: DerElement, structure: string): PrincipalName {
  const s = `${structure}.PrincipalName`;
  if (e.tag !== DerTag.SEQUENCE) new Fields(e, s).fail('PrincipalName', 'expected a SEQUENCE', e.offset);
  const f = new Fields(e, s);
  return {
    nameType: readInteger(f.req(0, 'name-type'), s, 'name-type'),
    nameString: readSequenceOf(f.req(1, 'name-string'), s, 'name-string', (x) => readKerberosString(x, s, 'name-string')),
  };
}

/** A principal with its realm, e.g. `alice@TEST.LOCAL` or `cifs/ca.test.local@TEST.LOCAL`. */
export interface Principal {
  name: PrincipalName;
  realm: string;
}

/** `a/b@REALM` → Principal (RFC 1964 2.1.1 syntax, backslash escapes honoured). */
export function parsePrincipal(text: string, defaultRealm?: string, nameType?: number): Principal {
  const parts: string[] = [];
  let current = '';
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else if (ch === '/') {
      parts.push(current);
      current = '';
    } else if (ch === '@') {
      realm = text.slice(i + 1).replace(/\\(.)/g, '$1');
      break;
    } else {
      current += ch;
    }
  }
  parts.push(current);
  const r = realm || defaultRealm;
  if (!r) throw new WcceError('CONFIG', `Kerberos principal "${text}" has no realm and no default realm is configured`);
  if (parts.some((p) => p.length === 0)) throw new WcceError('CONFIG', `Kerberos principal "${text}" has an empty component`);
  return { name: { nameType: nameType ?? (parts.length > 1 ? NameType.SRV_INST : NameType.PRINCIPAL), nameString: parts }, realm: r };
}

export function principalToString(p: Principal): string {
  return `${p.name.nameString.map((c) => c.replace(/[\\/@]/g, (m) => '\\' + m)).join('/')}@${p.realm}`;
}

/** Name comparison ignores the name type (RFC 4120 6.2: names are compared by their strings). */
export function samePrincipal(a: Principal, b: Principal, ignoreCase = false): boolean {
  const norm = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  return (
    norm(a.realm) === norm(b.realm) &&
    a.name.nameString.length === b.name.nameString.length &&
    a.name.nameString.every((c, i) => norm(c) === norm(b.name.nameString[i]!))
  );
}
