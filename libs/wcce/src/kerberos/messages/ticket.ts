import {
  DerReader,
  Fields,
  readOctetString,
  readSequenceOf,
  application,
  derApplication,
  derFields,
  derInteger,
  derKerberosFlags,
  derKerberosString,
  derKerberosTime,
  derOctetString,
  readInteger,
  readKerberosFlags,
  readKerberosString,
  readKerberosTime,
  unwrapApplication,
  type DerElement,
} from '../asn1/der.js';
import type { KerberosKey } from '../crypto/index.js';
import { ApplicationTag } from './constants.js';
import { decodeEncryptedData, decodeEncryptionKey, encodeEncryptedData, encodeEncryptionKey, type EncryptedData } from './encrypted-data.js';
import { decodePrincipalName, encodePrincipalName, type PrincipalName } from './principal.js';

/** Ticket, RFC 4120 5.3. `raw` keeps the exact DER, which is what goes back on the wire. */
export interface Ticket {
  realm: string;
  sname: PrincipalName;
  encPart: EncryptedData;
  raw: Buffer;
}

export function encodeTicket(t: Omit<Ticket, 'raw'>): Buffer {
  return derApplication(
    ApplicationTag.TICKET,
    derFields([
      [0, derInteger(5)],
      [1, derKerberosString(t.realm)],
      [2, encodePrincipalName(t.sname)],
      [3, encodeEncryptedData(t.encPart)],
    ]),
  );
}

export function decodeTicket(buf: Buffer, base = 0): Ticket {
  const s = 'Ticket';
  const f = new Fields(unwrapApplication(buf, ApplicationTag.TICKET, s, base), s);
  const vno = readInteger(f.req(0, 'tkt-vno'), s, 'tkt-vno');
  if (vno !== 5) f.fail('tkt-vno', `${vno}, expected 5`);
  return {
    realm: readKerberosString(f.req(1, 'realm'), s, 'realm'),
    sname: decodePrincipalName(f.req(2, 'sname'), s),
    encPart: decodeEncryptedData(f.req(3, 'enc-part'), s),
    raw: Buffer.from(buf),
  };
}

/** A Ticket element found inside another message. */
export function decodeTicketElement(e: DerElement): Ticket {
  if (e.tag !== application(ApplicationTag.TICKET))
    new DerReader(Buffer.alloc(0), 'Ticket').fail('Ticket', `tag 0x${e.tag.toString(16)}, expected 0x61`, e.offset);
  return decodeTicket(e.raw, e.offset);
}

/** EncTicketPart, RFC 4120 5.3: what an acceptor decrypts with its service key (usage 2). */
export interface EncTicketPart {
  flags: number;
  key: KerberosKey;
  crealm: string;
  cname: PrincipalName;
  authtime: Date;
  starttime?: Date;
  endtime: Date;
  renewTill?: Date;
  /** RFC 4120 5.2.6 AuthorizationData (Windows and Samba put the PAC in AD-IF-RELEVANT, type 1). */
  authorizationData?: AuthorizationDataEntry[];
}

/** One AuthorizationData element: ad-type and the undecoded ad-data. */
export interface AuthorizationDataEntry {
  type: number;
  data: Buffer;
}

/** Decodes AuthorizationData (RFC 4120 5.2.6), e.g. the contents of an AD-IF-RELEVANT element. */
export function decodeAuthorizationData(e: DerElement, structure: string): AuthorizationDataEntry[] {
  return readSequenceOf(e, structure, 'authorization-data', (item) => {
    const f = new Fields(item, 'AuthorizationData');
    return {
      type: readInteger(f.req(0, 'ad-type'), 'AuthorizationData', 'ad-type'),
      data: readOctetString(f.req(1, 'ad-data'), 'AuthorizationData', 'ad-data'),
    };
  });
}

export function encodeEncTicketPart(p: EncTicketPart): Buffer {
  return derApplication(
    ApplicationTag.ENC_TICKET_PART,
    derFields([
      [0, derKerberosFlags(p.flags)],
      [1, encodeEncryptionKey(p.key)],
      [2, derKerberosString(p.crealm)],
      [3, encodePrincipalName(p.cname)],
      [
        4,
        derFields([
          [0, derInteger(1)],
          [1, derOctetString(Buffer.alloc(0))],
        ]),
      ],
      [5, derKerberosTime(p.authtime)],
      [6, p.starttime ? derKerberosTime(p.starttime) : undefined],
      [7, derKerberosTime(p.endtime)],
      [8, p.renewTill ? derKerberosTime(p.renewTill) : undefined],
    ]),
  );
}

export function decodeEncTicketPart(buf: Buffer): EncTicketPart {
  const s = 'EncTicketPart';
  const f = new Fields(unwrapApplication(buf, ApplicationTag.ENC_TICKET_PART, s), s);
  const start = f.opt(6, 'starttime');
  const renew = f.opt(8, 'renew-till');
  const authz = f.opt(10, 'authorization-data');
  f.req(4, 'transited');
  return {
    flags: readKerberosFlags(f.req(0, 'flags'), s, 'flags'),
    key: decodeEncryptionKey(f.req(1, 'key'), s),
    crealm: readKerberosString(f.req(2, 'crealm'), s, 'crealm'),
    cname: decodePrincipalName(f.req(3, 'cname'), s),
    authtime: readKerberosTime(f.req(5, 'authtime'), s, 'authtime'),
    ...(start ? { starttime: readKerberosTime(start, s, 'starttime') } : {}),
    endtime: readKerberosTime(f.req(7, 'endtime'), s, 'endtime'),
    ...(renew ? { renewTill: readKerberosTime(renew, s, 'renew-till') } : {}),
    ...(authz ? { authorizationData: decodeAuthorizationData(authz, s) } : {}),
  };
}
