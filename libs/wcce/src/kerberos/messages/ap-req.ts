import { Fields, derApplication, derFields, derInteger, derKerberosFlags, readInteger, readKerberosFlags, unwrapApplication } from '../asn1/der.js';
import { MessageType } from './constants.js';
import { decodeEncryptedData, encodeEncryptedData, type EncryptedData } from './encrypted-data.js';
import { decodeTicketElement, type Ticket } from './ticket.js';

/** AP-REQ, RFC 4120 5.5.1 ([APPLICATION 14]). */
export interface ApReq {
  apOptions: number;
  ticket: Ticket;
  authenticator: EncryptedData;
}

export function encodeApReq(r: ApReq): Buffer {
  return derApplication(
    MessageType.AP_REQ,
    derFields([
      [0, derInteger(5)],
      [1, derInteger(MessageType.AP_REQ)],
      [2, derKerberosFlags(r.apOptions)],
      [3, r.ticket.raw],
      [4, encodeEncryptedData(r.authenticator)],
    ]),
  );
}

export function decodeApReq(buf: Buffer, base = 0): ApReq {
  const s = 'AP-REQ';
  const f = new Fields(unwrapApplication(buf, MessageType.AP_REQ, s, base), s);
  const pvno = readInteger(f.req(0, 'pvno'), s, 'pvno');
  if (pvno !== 5) f.fail('pvno', `${pvno}, expected 5`);
  const mt = readInteger(f.req(1, 'msg-type'), s, 'msg-type');
  if (mt !== MessageType.AP_REQ) f.fail('msg-type', `${mt}, expected 14`);
  return {
    apOptions: readKerberosFlags(f.req(2, 'ap-options'), s, 'ap-options'),
    ticket: decodeTicketElement(f.req(3, 'ticket')),
    authenticator: decodeEncryptedData(f.req(4, 'authenticator'), s),
  };
}
