import { msNlmp424 as v } from '../../test/vectors/ntlm/ms-nlmp-4-2-4.js';
import { appendixA as a } from '../../test/vectors/ntlm/appendix-a.js';
import { WcceProtocolError } from '../errors.js';
import { AvId, AvPairs } from './av-pairs.js';
import { decodeAuthenticate, decodeChallenge, decodeNegotiate, encodeAuthenticate, encodeChallenge, encodeNegotiate, ntlmMessageType } from './messages.js';

const hex = (x: string): Buffer => Buffer.from(x, 'hex');
/** The NTLM token at the end of a DCE/RPC PDU (auth_length at offset 10). */
const authValue = (pduHex: string): Buffer => {
  const pdu = hex(pduHex);
  return pdu.subarray(pdu.length - pdu.readUInt16LE(10));
};

describe(decodeChallenge.name, () => {
  it('decodes the MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE', () => {
    const sut = decodeChallenge(hex(v.challengeMessage));
    expect(sut.flags >>> 0).toBe(v.challengeFlags);
    expect(sut.serverChallenge.toString('hex')).toBe(v.serverChallenge);
    expect(sut.targetName).toBe('Server');
    expect(sut.version).toEqual(v.challengeVersion);
    expect(sut.targetInfo.encode().toString('hex')).toBe(v.targetInfo);
  });

  it('decodes the Appendix A CHALLENGE (TargetInfo names and timestamp)', () => {
    const sut = decodeChallenge(authValue(a.bindAckPdu));
    expect(sut.flags >>> 0).toBe(a.challengeFlags);
    expect(sut.targetInfo.getString(AvId.DNS_COMPUTER_NAME)).toBe(a.dnsComputer);
    expect(sut.targetInfo.get(AvId.TIMESTAMP)!.readBigUInt64LE()).toBe(a.timestamp);
  });

  it.each([
    ['a bad signature', (b: Buffer) => b.write('NTLMSSX', 0, 'latin1'), 'Signature', 0],
    ['a wrong message type', (b: Buffer) => b.writeUInt32LE(3, 8), 'MessageType', 8],
    ['TargetInfo pointing past the end', (b: Buffer) => b.writeUInt32LE(0x1000, 44), 'TargetInfoFields', 0x1000],
  ])('names the field and offset of %s', (_name, corrupt, field, offset) => {
    const bytes = hex(v.challengeMessage);
    corrupt(bytes);
    try {
      decodeChallenge(bytes);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WcceProtocolError);
      expect([(e as WcceProtocolError).field, (e as WcceProtocolError).offset]).toEqual([field, offset]);
    }
  });

  it('refuses a truncated message with the field that ran out', () => {
    const sut = (): unknown => decodeChallenge(hex(v.challengeMessage).subarray(0, 30));
    expect(sut).toThrow(WcceProtocolError);
    expect(sut).toThrow(/NTLM_CHALLENGE\.ServerChallenge at offset 24/);
  });

  it('refuses an AV_PAIR list without MsvAvEOL', () => {
    const bytes = hex(v.challengeMessage);
    bytes.writeUInt16LE(0x20, 40); // TargetInfo length cut before the EOL
    expect(() => decodeChallenge(bytes)).toThrow(/MsvAvEOL/);
  });
});

describe(encodeChallenge.name, () => {
  it('reproduces the MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE byte for byte', () => {
    const sut = encodeChallenge({
      flags: v.challengeFlags,
      serverChallenge: hex(v.serverChallenge),
      targetName: v.serverName,
      targetInfo: AvPairs.decode(hex(v.targetInfo)),
      version: v.challengeVersion,
    });
    expect(sut.toString('hex')).toBe(v.challengeMessage);
  });
});

describe(decodeAuthenticate.name, () => {
  it('decodes the MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE (Version, no MIC)', () => {
    const sut = decodeAuthenticate(hex(v.authenticateMessage));
    expect(sut).toMatchObject({ domain: v.domain, user: v.user, workstation: v.workstation, version: v.authenticateVersion });
    expect(sut.flags >>> 0).toBe(v.authenticateFlags);
    expect(sut.mic).toBeUndefined();
    expect(sut.lmChallengeResponse.toString('hex')).toBe(v.lmv2Response);
    expect(sut.ntChallengeResponse.toString('hex')).toBe(v.ntProofStr + v.temp);
    expect(sut.encryptedRandomSessionKey.toString('hex')).toBe(v.encryptedRandomSessionKey);
  });

  it("decodes impacket's 64-byte-header AUTHENTICATE from Appendix A", () => {
    const sut = decodeAuthenticate(authValue(a.auth3Pdu));
    expect(sut).toMatchObject({ domain: a.domain, user: a.user, workstation: '' });
    expect(sut.version).toBeUndefined();
    expect(sut.mic).toBeUndefined();
  });

  it('names the field of an out-of-range payload', () => {
    const bytes = hex(v.authenticateMessage);
    bytes.writeUInt16LE(0x200, 20); // NtChallengeResponse length
    expect(() => decodeAuthenticate(bytes)).toThrow(/NTLM_AUTHENTICATE\.NtChallengeResponseFields at offset 132/);
  });
});

describe(encodeAuthenticate.name, () => {
  it('reproduces the MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE byte for byte', () => {
    const sut = encodeAuthenticate({
      flags: v.authenticateFlags,
      lmChallengeResponse: hex(v.lmv2Response),
      ntChallengeResponse: hex(v.ntProofStr + v.temp),
      domain: v.domain,
      user: v.user,
      workstation: v.workstation,
      encryptedRandomSessionKey: hex(v.encryptedRandomSessionKey),
      version: v.authenticateVersion,
    });
    expect(sut.toString('hex')).toBe(v.authenticateMessage);
  });

  it('round-trips a MIC at offset 72', () => {
    const mic = Buffer.alloc(16, 0x42);
    const sut = decodeAuthenticate(
      encodeAuthenticate({
        flags: 0xe2088235,
        lmChallengeResponse: Buffer.alloc(24),
        ntChallengeResponse: Buffer.alloc(60, 1),
        domain: 'D',
        user: 'u',
        workstation: 'W',
        encryptedRandomSessionKey: Buffer.alloc(16, 2),
        version: { major: 10, minor: 0, build: 1, revision: 15 },
        mic,
      }),
    );
    expect(sut.mic).toEqual(mic);
    expect(sut.workstation).toBe('W');
  });
});

describe(encodeNegotiate.name, () => {
  it("builds impacket's 32-byte NEGOTIATE from Appendix A", () => {
    const sut = encodeNegotiate({ flags: a.negotiateFlags });
    expect(sut).toEqual(authValue(a.bindPdu));
  });

  it('round-trips Version and OEM names', () => {
    const sut = decodeNegotiate(
      encodeNegotiate({ flags: 0xe2089235 | 0x2000, domain: 'CORP', workstation: 'WS1', version: { major: 10, minor: 0, build: 20348, revision: 15 } }),
    );
    expect(sut).toMatchObject({ domain: 'CORP', workstation: 'WS1', version: { build: 20348 } });
  });
});

describe(ntlmMessageType.name, () => {
  it('reads the type after checking the signature', () => {
    expect(ntlmMessageType(hex(v.challengeMessage))).toBe(2);
    expect(() => ntlmMessageType(Buffer.from('garbage!garbage!'))).toThrow(WcceProtocolError);
  });
});
