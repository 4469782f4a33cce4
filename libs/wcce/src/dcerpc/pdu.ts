import { WcceProtocolError } from '../errors.js';
import { decodeAuth3, type Auth3Pdu } from './auth3.js';
import { decodeBind, decodeBindAck, decodeBindNak, type BindAckPdu, type BindNakPdu, type BindPdu } from './bind.js';
import { PacketType } from './constants.js';
import { decodeCommonHeader } from './header.js';
import { decodeFault, decodeRequest, decodeResponse, type FaultPdu, type RequestPdu, type ResponsePdu } from './request.js';

/** Any connection-oriented PDU this stack understands, discriminated by `ptype`. */
export type Pdu = BindPdu | BindAckPdu | BindNakPdu | Auth3Pdu | RequestPdu | ResponsePdu | FaultPdu;

/** Decodes one whole PDU; unknown or unsupported packet types are a typed PROTOCOL error. */
export function decodePdu(pdu: Buffer): Pdu {
  const header = decodeCommonHeader(pdu, 'RpcPdu');
  switch (header.ptype) {
    case PacketType.BIND:
    case PacketType.ALTER_CONTEXT:
      return decodeBind(pdu);
    case PacketType.BIND_ACK:
    case PacketType.ALTER_CONTEXT_RESP:
      return decodeBindAck(pdu);
    case PacketType.BIND_NAK:
      return decodeBindNak(pdu);
    case PacketType.AUTH3:
      return decodeAuth3(pdu);
    case PacketType.REQUEST:
      return decodeRequest(pdu);
    case PacketType.RESPONSE:
      return decodeResponse(pdu);
    case PacketType.FAULT:
      return decodeFault(pdu);
    default:
      throw new WcceProtocolError('RpcPdu', 'PTYPE', 2, `unsupported packet type ${header.ptype}`);
  }
}
