import { WcceProtocolError } from '../errors.js';
import { encodeAuth3 } from './auth3.js';
import { encodeBind, encodeBindAck, encodeBindNak } from './bind.js';
import { FaultStatus, PacketType, PfcFlags } from './constants.js';
import { encodeFault, encodeRequest, encodeResponse } from './request.js';
import { decodePdu } from './pdu.js';
import { NDR20_SYNTAX } from './syntax.js';
import { hexBuf, loadVector, type AppendixA } from './testing/vectors.js';

const A = loadVector<AppendixA>('dcerpc/appendix-a.json');
const ICPR = { uuid: '91ae6020-9e3c-11cf-8d7c-00aa00c091be', major: 0, minor: 0 };
const NTLM_PRIVACY = { authType: 10, authLevel: 6, authContextId: 0x1357f };

describe(decodePdu.name, () => {
  describe('Appendix A PDUs decode to the expected fields and re-encode byte for byte', () => {
    it('BIND', () => {
      const sut = decodePdu(hexBuf(A.bind));
      expect(sut).toMatchObject({
        ptype: PacketType.BIND,
        flags: 0x03,
        callId: 1,
        maxXmitFrag: 4280,
        maxRecvFrag: 4280,
        assocGroupId: 0,
        contexts: [{ contextId: 0, abstractSyntax: ICPR, transferSyntaxes: [NDR20_SYNTAX] }],
        auth: { ...NTLM_PRIVACY, authPadLength: 0 },
      });
      if (sut.ptype !== PacketType.BIND || !sut.auth) throw new Error('not a bind');
      expect(sut.auth.authValue.subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
      expect(encodeBind(sut).toString('hex')).toBe(A.bind);
    });

    it('BIND_ACK', () => {
      const sut = decodePdu(hexBuf(A.bindAck));
      expect(sut).toMatchObject({
        ptype: PacketType.BIND_ACK,
        callId: 1,
        maxXmitFrag: 4280,
        maxRecvFrag: 4280,
        assocGroupId: 0x12345,
        secondaryAddress: '\\PIPE\\cert',
        results: [{ result: 0, reason: 0, transferSyntax: NDR20_SYNTAX }],
        auth: { ...NTLM_PRIVACY, authPadLength: 0 },
      });
      if (sut.ptype !== PacketType.BIND_ACK || !sut.auth) throw new Error('not a bind_ack');
      expect(sut.auth.authValue.length).toBe(186);
      expect(encodeBindAck(sut).toString('hex')).toBe(A.bindAck);
    });

    it('AUTH3', () => {
      const sut = decodePdu(hexBuf(A.auth3));
      expect(sut).toMatchObject({ ptype: PacketType.AUTH3, callId: 1, pad: Buffer.from('    '), auth: { ...NTLM_PRIVACY, authPadLength: 0 } });
      if (sut.ptype !== PacketType.AUTH3) throw new Error('not auth3');
      expect(sut.auth.authValue.length).toBe(342);
      expect(encodeAuth3(sut).toString('hex')).toBe(A.auth3);
    });

    it('REQUEST (sealed, 4-byte auth padding)', () => {
      const sut = decodePdu(hexBuf(A.request));
      expect(sut).toMatchObject({
        ptype: PacketType.REQUEST,
        flags: 0x03,
        callId: 2,
        allocHint: 129,
        contextId: 0,
        opnum: 0,
        auth: { ...NTLM_PRIVACY, authPadLength: 3 },
      });
      if (sut.ptype !== PacketType.REQUEST || !sut.auth) throw new Error('not a request');
      expect(sut.stub.length).toBe(132); // 129-byte stub + 3 pad bytes, sealed
      expect(sut.auth.authValue.toString('hex')).toBe('01000000718af551eed15a5d00000000');
      expect(encodeRequest(sut).toString('hex')).toBe(A.request);
    });

    it('RESPONSE (sealed, no padding needed)', () => {
      const sut = decodePdu(hexBuf(A.response));
      expect(sut).toMatchObject({
        ptype: PacketType.RESPONSE,
        flags: 0x03,
        callId: 2,
        allocHint: 80,
        contextId: 0,
        cancelCount: 0,
        auth: { ...NTLM_PRIVACY, authPadLength: 0 },
      });
      if (sut.ptype !== PacketType.RESPONSE) throw new Error('not a response');
      expect(sut.stub.length).toBe(80);
      expect(encodeResponse(sut).toString('hex')).toBe(A.response);
    });
  });

  it.each([
    ['BIND_NAK', encodeBindNak({ callId: 1, rejectReason: 4 }), { ptype: PacketType.BIND_NAK, rejectReason: 4, versions: [{ major: 5, minor: 0 }] }],
    ['FAULT', encodeFault({ callId: 7, contextId: 0, status: FaultStatus.NCA_S_OP_RNG_ERROR }), { ptype: PacketType.FAULT, callId: 7, status: 0x1c010002 }],
    [
      'REQUEST with object UUID',
      encodeRequest({ flags: 3, callId: 2, allocHint: 1, contextId: 1, opnum: 4, object: '00000000-0000-0000-c000-000000000046', stub: Buffer.from([9]) }),
      { ptype: PacketType.REQUEST, flags: 3 | PfcFlags.OBJECT_UUID, opnum: 4, object: '00000000-0000-0000-c000-000000000046', stub: Buffer.from([9]) },
    ],
    [
      'ALTER_CONTEXT_RESP without secondary address',
      encodeBindAck({
        ptype: PacketType.ALTER_CONTEXT_RESP,
        callId: 1,
        maxXmitFrag: 4280,
        maxRecvFrag: 4280,
        assocGroupId: 5,
        secondaryAddress: '',
        results: [],
      }),
      { ptype: PacketType.ALTER_CONTEXT_RESP, secondaryAddress: '', results: [], assocGroupId: 5 },
    ],
  ])('round-trips a %s', (_name, bytes, expected) => {
    expect(decodePdu(bytes)).toMatchObject(expected);
  });

  it('frames a BIND_NAK as 4-byte aligned', () => {
    expect(encodeBindNak({ callId: 1, rejectReason: 9 }).length % 4).toBe(0);
  });

  it('keeps a bind body 4-aligned before the sec_trailer', () => {
    const pdu = encodeBind({
      ptype: PacketType.BIND,
      callId: 1,
      maxXmitFrag: 4280,
      maxRecvFrag: 4280,
      assocGroupId: 0,
      contexts: [{ contextId: 0, abstractSyntax: ICPR, transferSyntaxes: [NDR20_SYNTAX] }],
      auth: { ...NTLM_PRIVACY, authValue: Buffer.from('abc') },
    });
    expect(pdu.readUInt16LE(10)).toBe(3);
    expect((pdu.length - 3 - 8) % 4).toBe(0);
  });

  const request = hexBuf(A.request);
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(request);
    f(b);
    return b;
  };
  it.each([
    ['a truncated header', request.subarray(0, 10), 'auth_length'],
    ['a truncated PDU (frag_length > received)', request.subarray(0, 100), 'frag_length'],
    ['a wrong RPC version', mutate((b) => (b[0] = 4)), 'rpc_vers'],
    ['big-endian data representation', mutate((b) => (b[4] = 0x00)), 'packed_drep'],
    ['auth_length larger than the PDU', mutate((b) => b.writeUInt16LE(0x200, 10)), 'auth_length'],
    ['auth_pad_length past the stub', mutate((b) => (b[request.length - 16 - 6] = 0xff)), 'auth_pad_length'],
    ['an unknown packet type', mutate((b) => (b[2] = 0x55)), 'PTYPE'],
    ['a fault without status', encodeFault({ callId: 1, contextId: 0, status: 5 }).subarray(0, 24), 'frag_length'],
  ])('refuses %s with a typed error', (_name, bytes, field) => {
    try {
      decodePdu(bytes);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WcceProtocolError);
      expect((e as WcceProtocolError).field).toBe(field);
    }
  });

  it('refuses a bind whose context list runs into the sec_trailer', () => {
    const b = Buffer.from(hexBuf(A.bind));
    b[24] = 3; // n_context_elem
    expect(() => decodePdu(b)).toThrow(WcceProtocolError);
  });

  it('refuses a FAULT whose body is too short for the status', () => {
    const f = encodeFault({ callId: 1, contextId: 0, status: 5 });
    const short = Buffer.concat([f.subarray(0, 26)]);
    short.writeUInt16LE(26, 8);
    expect(() => decodePdu(short)).toThrow(expect.objectContaining({ field: 'status' }));
  });
});
