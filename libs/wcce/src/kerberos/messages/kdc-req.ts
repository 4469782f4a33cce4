import {
  Fields,
  derApplication,
  derFields,
  derInteger,
  derKerberosFlags,
  derKerberosString,
  derKerberosTime,
  derSequenceOf,
  readInteger,
  readKerberosFlags,
  readKerberosString,
  readKerberosTime,
  readSequenceOf,
  unwrapApplication,
} from '../asn1/der.js';
import { MessageType } from './constants.js';
import { decodePaData, encodePaDataList, type PaData } from './padata.js';
import { decodePrincipalName, encodePrincipalName, type PrincipalName } from './principal.js';
import { decodeTicketElement, type Ticket } from './ticket.js';

/** KDC-REQ-BODY, RFC 4120 5.4.1. */
export interface KdcReqBody {
  kdcOptions: number;
  cname?: PrincipalName;
  realm: string;
  sname?: PrincipalName;
  from?: Date;
  till: Date;
  rtime?: Date;
  nonce: number;
  etypes: number[];
  additionalTickets?: Ticket[];
}

export function encodeKdcReqBody(b: KdcReqBody): Buffer {
  return derFields([
    [0, derKerberosFlags(b.kdcOptions)],
    [1, b.cname ? encodePrincipalName(b.cname) : undefined],
    [2, derKerberosString(b.realm)],
    [3, b.sname ? encodePrincipalName(b.sname) : undefined],
    [4, b.from ? derKerberosTime(b.from) : undefined],
    [5, derKerberosTime(b.till)],
    [6, b.rtime ? derKerberosTime(b.rtime) : undefined],
    [7, derInteger(b.nonce >>> 0)],
    [8, derSequenceOf(b.etypes.map((e) => derInteger(e)))],
    [11, b.additionalTickets?.length ? derSequenceOf(b.additionalTickets.map((t) => t.raw)) : undefined],
  ]);
}

/** AS-REQ ([APPLICATION 10]) and TGS-REQ ([APPLICATION 12]), RFC 4120 5.4.1. */
export interface KdcReq {
  msgType: typeof MessageType.AS_REQ | typeof MessageType.TGS_REQ;
  padata: PaData[];
  body: KdcReqBody;
}

/**
 * Encodes a KDC-REQ. `bodyDer` may be given so the exact bytes a TGS-REQ checksum covered are
 * the ones sent (RFC 4120 7.2.2: the PA-TGS-REQ authenticator checksums the encoded req-body).
 */
export function encodeKdcReq(req: KdcReq, bodyDer: Buffer = encodeKdcReqBody(req.body)): Buffer {
  return derApplication(
    req.msgType,
    derFields([
      [1, derInteger(5)],
      [2, derInteger(req.msgType)],
      [3, req.padata.length ? encodePaDataList(req.padata) : undefined],
      [4, bodyDer],
    ]),
  );
}

/** Decoder for tests and the simulator's KDC-less acceptor paths. */
export function decodeKdcReq(buf: Buffer): KdcReq & { bodyDer: Buffer } {
  const tag = buf[0] === 0x6a ? MessageType.AS_REQ : MessageType.TGS_REQ;
  const s = tag === MessageType.AS_REQ ? 'AS-REQ' : 'TGS-REQ';
  const f = new Fields(unwrapApplication(buf, tag, s), s);
  const pvno = readInteger(f.req(1, 'pvno'), s, 'pvno');
  if (pvno !== 5) f.fail('pvno', `${pvno}, expected 5`);
  const msgType = readInteger(f.req(2, 'msg-type'), s, 'msg-type');
  if (msgType !== tag) f.fail('msg-type', `${msgType}, expected ${tag}`);
  const pa = f.opt(3, 'padata');
  const bodyEl = f.req(4, 'req-body');
  const b = new Fields(bodyEl, `${s}.KDC-REQ-BODY`);
  const bs = `${s}.KDC-REQ-BODY`;
  const cname = b.opt(1, 'cname');
  const sname = b.opt(3, 'sname');
  const from = b.opt(4, 'from');
  const rtime = b.opt(6, 'rtime');
  const tickets = b.opt(11, 'additional-tickets');
  return {
    msgType: tag,
    padata: pa ? readSequenceOf(pa, s, 'padata', (x) => decodePaData(x, s)) : [],
    body: {
      kdcOptions: readKerberosFlags(b.req(0, 'kdc-options'), bs, 'kdc-options'),
      ...(cname ? { cname: decodePrincipalName(cname, bs) } : {}),
      realm: readKerberosString(b.req(2, 'realm'), bs, 'realm'),
      ...(sname ? { sname: decodePrincipalName(sname, bs) } : {}),
      ...(from ? { from: readKerberosTime(from, bs, 'from') } : {}),
      till: readKerberosTime(b.req(5, 'till'), bs, 'till'),
      ...(rtime ? { rtime: readKerberosTime(rtime, bs, 'rtime') } : {}),
      nonce: readInteger(b.req(7, 'nonce'), bs, 'nonce') >>> 0,
      etypes: readSequenceOf(b.req(8, 'etype'), bs, 'etype', (x) => readInteger(x, bs, 'etype')),
      ...(tickets ? { additionalTickets: readSequenceOf(tickets, bs, 'additional-tickets', decodeTicketElement) } : {}),
    },
    bodyDer: Buffer.from(bodyEl.raw),
  };
}
