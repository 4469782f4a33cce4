import { ByteReader } from '../util/reader.js';
import { ByteWriter } from '../util/writer.js';
import { COMMON_HEADER_LENGTH, PacketType, PfcFlags } from './constants.js';
import { assemblePdu, authPadLength, decodeFrame, type AuthVerifier } from './header.js';
import { readSyntax, writeSyntax, type SyntaxId } from './syntax.js';

/**
 * The association PDUs (C706 12.6.4.3–12.6.4.6, MS-RPCE 2.2.2.4–2.2.2.5): bind / alter_context
 * share one layout, bind_ack / alter_context_resp share another, and bind_nak has its own.
 */

/** p_cont_elem_t: one presentation context offered by the client. */
export interface PresentationContext {
  contextId: number;
  abstractSyntax: SyntaxId;
  transferSyntaxes: SyntaxId[];
}

/** p_result_t: the server's answer for one presentation context. */
export interface ContextResultItem {
  result: number;
  reason: number;
  transferSyntax: SyntaxId;
}

type AuthIn = Omit<AuthVerifier, 'authPadLength' | 'authReserved'> & { authPadLength?: number; authReserved?: number };

export interface BindPdu {
  ptype: typeof PacketType.BIND | typeof PacketType.ALTER_CONTEXT;
  flags: number;
  callId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  contexts: PresentationContext[];
  auth?: AuthVerifier;
}

export interface BindAckPdu {
  ptype: typeof PacketType.BIND_ACK | typeof PacketType.ALTER_CONTEXT_RESP;
  flags: number;
  callId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  /** Secondary address (port_any_t), e.g. `\PIPE\cert`, without its NUL; '' when absent. */
  secondaryAddress: string;
  results: ContextResultItem[];
  auth?: AuthVerifier;
}

export interface BindNakPdu {
  ptype: typeof PacketType.BIND_NAK;
  flags: number;
  callId: number;
  rejectReason: number;
  /** Protocol versions the server supports (p_rt_versions_supported_t). */
  versions: Array<{ major: number; minor: number }>;
}

const FIRST_LAST = PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG;

/** Pads a bind-family body so the sec_trailer is 4-byte aligned (it already is, by layout). */
function withAuth(body: ByteWriter, auth: AuthIn | undefined): { body: Buffer; auth?: AuthVerifier } {
  if (!auth) return { body: body.toBuffer() };
  const pad = authPadLength(COMMON_HEADER_LENGTH + body.length, 4);
  body.zeros(pad);
  return { body: body.toBuffer(), auth: { ...auth, authPadLength: pad, authReserved: auth.authReserved ?? 0 } };
}

export function encodeBind(pdu: Omit<BindPdu, 'flags' | 'auth'> & { flags?: number; auth?: AuthIn }): Buffer {
  const w = new ByteWriter(128);
  w.u16(pdu.maxXmitFrag).u16(pdu.maxRecvFrag).u32(pdu.assocGroupId);
  w.u8(pdu.contexts.length).u8(0).u16(0);
  for (const c of pdu.contexts) {
    w.u16(c.contextId).u8(c.transferSyntaxes.length).u8(0);
    writeSyntax(w, c.abstractSyntax);
    for (const t of c.transferSyntaxes) writeSyntax(w, t);
  }
  const { body, auth } = withAuth(w, pdu.auth);
  return assemblePdu(pdu.ptype, pdu.flags ?? FIRST_LAST, pdu.callId, body, auth);
}

export function decodeBind(pdu: Buffer): BindPdu {
  const frame = decodeFrame(pdu, 'BindPdu');
  const { header } = frame;
  if (header.ptype !== PacketType.BIND && header.ptype !== PacketType.ALTER_CONTEXT) {
    throw new ByteReader(pdu, 'BindPdu').fail('PTYPE', `expected bind or alter_context, got ${header.ptype}`, 2);
  }
  // Parse only up to the sec_trailer, so an auth token is never mistaken for context items.
  const end = COMMON_HEADER_LENGTH + frame.body.length;
  const limited = new ByteReader(pdu.subarray(0, end), 'BindPdu', COMMON_HEADER_LENGTH);
  const maxXmitFrag = limited.u16('max_xmit_frag');
  const maxRecvFrag = limited.u16('max_recv_frag');
  const assocGroupId = limited.u32('assoc_group_id');
  const n = limited.u8('n_context_elem');
  limited.skip(3, 'reserved');
  const contexts: PresentationContext[] = [];
  for (let i = 0; i < n; i++) {
    const contextId = limited.u16(`p_cont_elem[${i}].p_cont_id`);
    const nTransfer = limited.u8(`p_cont_elem[${i}].n_transfer_syn`);
    limited.skip(1, `p_cont_elem[${i}].reserved`);
    const abstractSyntax = readSyntax(limited, `p_cont_elem[${i}].abstract_syntax`);
    const transferSyntaxes: SyntaxId[] = [];
    for (let j = 0; j < nTransfer; j++) transferSyntaxes.push(readSyntax(limited, `p_cont_elem[${i}].transfer_syntaxes[${j}]`));
    contexts.push({ contextId, abstractSyntax, transferSyntaxes });
  }
  return {
    ptype: header.ptype,
    flags: header.flags,
    callId: header.callId,
    maxXmitFrag,
    maxRecvFrag,
    assocGroupId,
    contexts,
    ...(frame.auth ? { auth: frame.auth } : {}),
  };
}

export function encodeBindAck(pdu: Omit<BindAckPdu, 'flags' | 'auth'> & { flags?: number; auth?: AuthIn }): Buffer {
  const w = new ByteWriter(128);
  w.u16(pdu.maxXmitFrag).u16(pdu.maxRecvFrag).u32(pdu.assocGroupId);
  // port_any_t: length includes the NUL; an absent address is length 0 (MS-RPCE 2.2.2.4 note).
  const addr = pdu.secondaryAddress === '' ? Buffer.alloc(0) : Buffer.from(pdu.secondaryAddress + '\0', 'latin1');
  w.u16(addr.length).bytes(addr);
  w.align(4, -COMMON_HEADER_LENGTH); // 4-byte alignment relative to the start of the PDU
  w.u8(pdu.results.length).u8(0).u16(0);
  for (const res of pdu.results) {
    w.u16(res.result).u16(res.reason);
    writeSyntax(w, res.transferSyntax);
  }
  const { body, auth } = withAuth(w, pdu.auth);
  return assemblePdu(pdu.ptype, pdu.flags ?? FIRST_LAST, pdu.callId, body, auth);
}

export function decodeBindAck(pdu: Buffer): BindAckPdu {
  const frame = decodeFrame(pdu, 'BindAckPdu');
  const { header } = frame;
  if (header.ptype !== PacketType.BIND_ACK && header.ptype !== PacketType.ALTER_CONTEXT_RESP) {
    throw new ByteReader(pdu, 'BindAckPdu').fail('PTYPE', `expected bind_ack or alter_context_resp, got ${header.ptype}`, 2);
  }
  const end = COMMON_HEADER_LENGTH + frame.body.length;
  const r = new ByteReader(pdu.subarray(0, end), 'BindAckPdu', COMMON_HEADER_LENGTH);
  const maxXmitFrag = r.u16('max_xmit_frag');
  const maxRecvFrag = r.u16('max_recv_frag');
  const assocGroupId = r.u32('assoc_group_id');
  const addrLength = r.u16('sec_addr.length');
  const addr = r.bytes(addrLength, 'sec_addr.port_spec');
  const nul = addr.indexOf(0);
  const secondaryAddress = addr.subarray(0, nul < 0 ? addr.length : nul).toString('latin1');
  r.align(4, 0, 'pad');
  const n = r.u8('p_result_list.n_results');
  r.skip(3, 'p_result_list.reserved');
  const results: ContextResultItem[] = [];
  for (let i = 0; i < n; i++) {
    const result = r.u16(`p_results[${i}].result`);
    const reason = r.u16(`p_results[${i}].reason`);
    const transferSyntax = readSyntax(r, `p_results[${i}].transfer_syntax`);
    results.push({ result, reason, transferSyntax });
  }
  return {
    ptype: header.ptype,
    flags: header.flags,
    callId: header.callId,
    maxXmitFrag,
    maxRecvFrag,
    assocGroupId,
    secondaryAddress,
    results,
    ...(frame.auth ? { auth: frame.auth } : {}),
  };
}

export function encodeBindNak(pdu: Omit<BindNakPdu, 'ptype' | 'flags' | 'versions'> & { flags?: number; versions?: BindNakPdu['versions'] }): Buffer {
  const versions = pdu.versions ?? [{ major: 5, minor: 0 }];
  const w = new ByteWriter(16);
  w.u16(pdu.rejectReason).u8(versions.length);
  for (const v of versions) w.u8(v.major).u8(v.minor);
  w.align(4, -COMMON_HEADER_LENGTH);
  return assemblePdu(PacketType.BIND_NAK, pdu.flags ?? FIRST_LAST, pdu.callId, w.toBuffer());
}

export function decodeBindNak(pdu: Buffer): BindNakPdu {
  const frame = decodeFrame(pdu, 'BindNakPdu');
  const r = new ByteReader(pdu, 'BindNakPdu', COMMON_HEADER_LENGTH);
  if (frame.header.ptype !== PacketType.BIND_NAK) r.fail('PTYPE', `expected bind_nak, got ${frame.header.ptype}`, 2);
  const rejectReason = r.u16('provider_reject_reason');
  // The version list is optional in practice (some servers send only the reason).
  const versions: BindNakPdu['versions'] = [];
  if (r.remaining > 0) {
    const n = r.u8('versions.n_protocols');
    for (let i = 0; i < n; i++) versions.push({ major: r.u8(`versions[${i}].major`), minor: r.u8(`versions[${i}].minor`) });
  }
  return { ptype: PacketType.BIND_NAK, flags: frame.header.flags, callId: frame.header.callId, rejectReason, versions };
}
