import {
  DerTag,
  Fields,
  derBoolean,
  derFields,
  derInteger,
  derKerberosString,
  derKerberosTime,
  derOctetString,
  derSequenceOf,
  parseOne,
  readBoolean,
  readInteger,
  readKerberosString,
  readKerberosTime,
  readOctetString,
  readSequenceOf,
  type DerElement,
} from '../asn1/der.js';
import { PaDataType } from './constants.js';

/** PA-DATA, RFC 4120 5.2.7. */
export interface PaData {
  type: number;
  value: Buffer;
}

export function encodePaData(p: PaData): Buffer {
  return derFields([
    [1, derInteger(p.type)],
    [2, derOctetString(p.value)],
  ]);
}

export function decodePaData(e: DerElement, structure: string): PaData {
  const s = `${structure}.PA-DATA`;
  const f = new Fields(e, s);
  return { type: readInteger(f.req(1, 'padata-type'), s, 'padata-type'), value: readOctetString(f.req(2, 'padata-value'), s, 'padata-value') };
}

export function encodePaDataList(list: PaData[]): Buffer {
  return derSequenceOf(list.map(encodePaData));
}

/** METHOD-DATA ::= SEQUENCE OF PA-DATA (the e-data of KDC_ERR_PREAUTH_REQUIRED, RFC 4120 5.9.1). */
export function decodeMethodData(buf: Buffer, structure = 'METHOD-DATA'): PaData[] {
  const e = parseOne(buf, DerTag.SEQUENCE, structure, 'METHOD-DATA');
  return readSequenceOf(e, structure, 'PA-DATA', (x) => decodePaData(x, structure));
}

/** PA-ENC-TS-ENC, RFC 4120 5.2.7.2: the plaintext of PA-ENC-TIMESTAMP. */
export function encodePaEncTsEnc(time: Date): Buffer {
  return derFields([
    [0, derKerberosTime(time)],
    [1, derInteger((time.getTime() % 1000) * 1000)],
  ]);
}

export function decodePaEncTsEnc(buf: Buffer): Date {
  const s = 'PA-ENC-TS-ENC';
  const f = new Fields(parseOne(buf, DerTag.SEQUENCE, s, s), s);
  const t = readKerberosTime(f.req(0, 'patimestamp'), s, 'patimestamp');
  const usec = f.opt(1, 'pausec');
  return new Date(t.getTime() + (usec ? Math.floor(readInteger(usec, s, 'pausec') / 1000) : 0));
}

/** ETYPE-INFO2-ENTRY, RFC 4120 5.2.7.5. */
export interface EtypeInfo2Entry {
  etype: number;
  salt?: string;
  s2kParams?: Buffer;
}

export function encodeEtypeInfo2(entries: EtypeInfo2Entry[]): Buffer {
  return derSequenceOf(
    entries.map((x) =>
      derFields([
        [0, derInteger(x.etype)],
        [1, x.salt === undefined ? undefined : derKerberosString(x.salt)],
        [2, x.s2kParams === undefined ? undefined : derOctetString(x.s2kParams)],
      ]),
    ),
  );
}

export function decodeEtypeInfo2(buf: Buffer): EtypeInfo2Entry[] {
  const s = 'ETYPE-INFO2';
  return readSequenceOf(parseOne(buf, DerTag.SEQUENCE, s, s), s, 'ETYPE-INFO2-ENTRY', (x) => {
    const f = new Fields(x, s);
    const salt = f.opt(1, 'salt');
    const params = f.opt(2, 's2kparams');
    return {
      etype: readInteger(f.req(0, 'etype'), s, 'etype'),
      ...(salt ? { salt: readKerberosString(salt, s, 'salt') } : {}),
      ...(params ? { s2kParams: readOctetString(params, s, 's2kparams') } : {}),
    };
  });
}

/** PA-PAC-REQUEST, MS-KILE 2.2.3: ask the KDC for a PAC (Windows and Samba want it). */
export function paPacRequest(includePac: boolean): PaData {
  return { type: PaDataType.PAC_REQUEST, value: derFields([[0, derBoolean(includePac)]]) };
}

export function decodePaPacRequest(buf: Buffer): boolean {
  const s = 'PA-PAC-REQUEST';
  return readBoolean(new Fields(parseOne(buf, DerTag.SEQUENCE, s, s), s).req(0, 'include-pac'), s, 'include-pac');
}
