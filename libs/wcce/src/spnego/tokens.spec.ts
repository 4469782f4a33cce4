import { windowsSmbSpnego as w } from '../../test/vectors/spnego/windows-smb-session-setup.js';
import { WcceProtocolError } from '../errors.js';
import { MechOid } from './oids.js';
import {
  NegState,
  decodeNegotiationToken,
  encodeNegTokenInit,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  gssUnframe,
  type NegTokenInit,
  type NegTokenResp,
} from './tokens.js';

const hex = (x: string): Buffer => Buffer.from(x, 'hex');
const init = (b: Buffer): NegTokenInit => {
  const t = decodeNegotiationToken(b);
  if (t.kind !== 'init') throw new Error('not init');
  return t.token;
};
const resp = (b: Buffer): NegTokenResp => {
  const t = decodeNegotiationToken(b);
  if (t.kind !== 'resp') throw new Error('not resp');
  return t.token;
};

describe(decodeNegotiationToken.name, () => {
  it('decodes the Windows SMB2 NEGOTIATE hint (NegTokenInit2 with a NEGOEX mechToken)', () => {
    const sut = init(hex(w.negotiateResponseHint));
    expect(sut.mechTypes).toEqual([MechOid.NEGOEX, MechOid.NTLMSSP]);
    expect(sut.mechToken!.subarray(0, 8).toString('latin1')).toBe('NEGOEXTS');
  });

  it('decodes the Windows client NegTokenInit and keeps the exact mechTypes DER', () => {
    const sut = init(hex(w.sessionSetupRequest1));
    expect(sut.mechTypes).toEqual([MechOid.NTLMSSP]);
    expect(sut.mechTypesDer.toString('hex')).toBe(w.mechTypesDer);
    expect(sut.mechToken!.subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
  });

  it('decodes the Windows NegTokenResp legs, including both mechListMICs', () => {
    expect(resp(hex(w.sessionSetupResponse1))).toMatchObject({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: MechOid.NTLMSSP });
    const second = resp(hex(w.sessionSetupRequest2));
    expect(second.negState).toBe(NegState.ACCEPT_INCOMPLETE);
    expect(second.mechListMic!.toString('hex')).toBe(w.clientMechListMic);
    const last = resp(hex(w.sessionSetupResponse2));
    expect(last).toEqual({ negState: NegState.ACCEPT_COMPLETED, mechListMic: hex(w.serverMechListMic) });
  });

  it.each([
    ['a truncated token', (b: Buffer) => b.subarray(0, 30), 'SPNEGO'],
    ['a length beyond the data', (b: Buffer) => Buffer.concat([b.subarray(0, 1), Buffer.from([0x7f]), b.subarray(2)]), 'GSS'],
    ['a wrong choice tag', (_b: Buffer) => Buffer.from('a2023000', 'hex'), 'SPNEGO'],
    ['indefinite length', (_b: Buffer) => Buffer.from('a180', 'hex'), 'SPNEGO'],
  ])('refuses %s with WcceProtocolError', (_name, corrupt) => {
    const sut = (): unknown => decodeNegotiationToken(corrupt(hex(w.sessionSetupRequest1)));
    expect(sut).toThrow(WcceProtocolError);
  });

  it('names the field and absolute offset of a bad inner element', () => {
    const bytes = hex(w.sessionSetupResponse1);
    bytes[8] = 0x0b; // a1 81b0 30 81ad a0 03 [0a]: the negState ENUMERATED tag
    try {
      decodeNegotiationToken(bytes);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WcceProtocolError);
      expect([(e as WcceProtocolError).field, (e as WcceProtocolError).offset]).toEqual(['negState', 8]);
    }
  });
});

describe(encodeNegTokenInit.name, () => {
  it('re-encodes the Windows client NegTokenInit byte for byte', () => {
    const mechToken = init(hex(w.sessionSetupRequest1)).mechToken!;
    const sut = encodeNegTokenInit({ mechTypes: [MechOid.NTLMSSP], mechToken });
    expect(sut.toString('hex')).toBe(w.sessionSetupRequest1);
  });
});

describe(encodeNegTokenResp.name, () => {
  it.each([
    ['the server CHALLENGE leg', w.sessionSetupResponse1],
    ['the client AUTHENTICATE leg with mechListMIC (long-form lengths)', w.sessionSetupRequest2],
    ['the server accept-completed leg', w.sessionSetupResponse2],
  ])('re-encodes %s byte for byte', (_name, token) => {
    const sut = encodeNegTokenResp(resp(hex(token)));
    expect(sut.toString('hex')).toBe(token);
  });
});

describe(encodeNegTokenInit2.name, () => {
  it('produces a hint that decodes with negHints and the SPNEGO framing', () => {
    const sut = encodeNegTokenInit2({ mechTypes: [MechOid.MS_KRB5, MechOid.KRB5, MechOid.NTLMSSP] });
    expect(gssUnframe(sut).mech).toBe(MechOid.SPNEGO);
    expect(init(sut)).toMatchObject({
      mechTypes: [MechOid.MS_KRB5, MechOid.KRB5, MechOid.NTLMSSP],
      negHints: { hintName: 'not_defined_in_RFC4178@please_ignore' },
    });
  });
});
