import { ByteReader } from '../util/reader.js';
import { COMMON_HEADER_LENGTH, PacketType, PfcFlags } from './constants.js';
import { assemblePdu, decodeFrame, type AuthVerifier } from './header.js';

/**
 * rpc_auth_3 (MS-RPCE 2.2.2.10): the third leg of a three-legged bind (NTLM AUTHENTICATE).
 * Layout: common header, 4 pad bytes ("any value, MUST be ignored"), sec_trailer, auth_value.
 * It reuses the bind's call_id and is never answered.
 */
export interface Auth3Pdu {
  ptype: typeof PacketType.AUTH3;
  flags: number;
  callId: number;
  /** The 4-byte pad field; impacket sends four 0x20 bytes (Appendix A). */
  pad: Buffer;
  auth: AuthVerifier;
}

export const AUTH3_DEFAULT_PAD = Buffer.from([0x20, 0x20, 0x20, 0x20]);

export function encodeAuth3(pdu: {
  callId: number;
  flags?: number;
  pad?: Buffer;
  auth: Omit<AuthVerifier, 'authPadLength' | 'authReserved'> & { authPadLength?: number; authReserved?: number };
}): Buffer {
  const pad = pdu.pad ?? AUTH3_DEFAULT_PAD;
  if (pad.length !== 4) throw new RangeError('auth3 pad must be 4 bytes');
  return assemblePdu(PacketType.AUTH3, pdu.flags ?? PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, pdu.callId, pad, {
    ...pdu.auth,
    authPadLength: pdu.auth.authPadLength ?? 0,
    authReserved: pdu.auth.authReserved ?? 0,
  });
}

export function decodeAuth3(pdu: Buffer): Auth3Pdu {
  const frame = decodeFrame(pdu, 'Auth3Pdu');
  const r = new ByteReader(pdu, 'Auth3Pdu', COMMON_HEADER_LENGTH);
  if (frame.header.ptype !== PacketType.AUTH3) r.fail('PTYPE', `expected auth3, got ${frame.header.ptype}`, 2);
  const auth = frame.auth ?? r.fail('auth_length', 'auth3 without auth_value (MS-RPCE 2.2.2.10: MUST be > 0)', 10);
  // Some stacks omit the pad field; accept any body length (it carries nothing).
  return { ptype: PacketType.AUTH3, flags: frame.header.flags, callId: frame.header.callId, pad: Buffer.from(frame.body), auth };
}
