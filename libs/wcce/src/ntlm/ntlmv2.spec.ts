import { msNlmp424 as v } from '../../test/vectors/ntlm/ms-nlmp-4-2-4.js';
import { appendixA as a } from '../../test/vectors/ntlm/appendix-a.js';
import {
  computeNtlmv2Response,
  decryptRandomSessionKey,
  encryptRandomSessionKey,
  keyExchangeKey,
  lmv2Response,
  ntHash,
  ntProofStr,
  ntlmv2ClientChallenge,
  ntowfv2,
  sessionBaseKey,
} from './ntlmv2.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe(computeNtlmv2Response.name, () => {
  // MS-NLMP 4.2.4: every intermediate value of the NTLMv2 example.
  const responseKeyNT = ntowfv2(ntHash(v.password), v.user, v.domain);
  const sut = computeNtlmv2Response({
    responseKeyNT,
    serverChallenge: hex(v.serverChallenge),
    clientChallenge: hex(v.clientChallenge),
    timestamp: hex(v.time),
    serverName: hex(v.targetInfo),
  });

  it.each([
    ['ResponseKeyNT (4.2.4.1.1 NTOWFv2)', () => responseKeyNT, v.responseKeyNT],
    ['temp (4.2.4.1.3)', () => sut.ntChallengeResponse.subarray(16), v.temp],
    ['NTProofStr (4.2.4.2.2)', () => sut.ntProofStr, v.ntProofStr],
    ['LMv2 response (4.2.4.2.1)', () => sut.lmChallengeResponse, v.lmv2Response],
    ['SessionBaseKey (4.2.4.1.2)', () => sut.sessionBaseKey, v.sessionBaseKey],
    [
      'EncryptedRandomSessionKey (4.2.4.2.3)',
      () => encryptRandomSessionKey(keyExchangeKey(sut.sessionBaseKey), hex(v.randomSessionKey)),
      v.encryptedRandomSessionKey,
    ],
  ])('MS-NLMP %s', (_name, actual, expected) => {
    expect(actual().toString('hex')).toBe(expected);
  });

  it('recovers the RandomSessionKey from the EncryptedRandomSessionKey (acceptor side)', () => {
    expect(decryptRandomSessionKey(sut.sessionBaseKey, hex(v.encryptedRandomSessionKey)).toString('hex')).toBe(v.randomSessionKey);
  });
});

describe(ntlmv2ClientChallenge.name, () => {
  it('omits the trailing Z(4) in impacket mode (wcce-protocol.md 3.1)', () => {
    const sut = ntlmv2ClientChallenge(hex(v.time), hex(v.clientChallenge), hex(v.targetInfo), false);
    expect(sut.toString('hex')).toBe(v.temp.slice(0, -8));
  });

  it('refuses a timestamp that is not 8 bytes', () => {
    expect(() => ntlmv2ClientChallenge(Buffer.alloc(4), hex(v.clientChallenge), hex(v.targetInfo))).toThrow(RangeError);
  });
});

describe(ntProofStr.name, () => {
  it('matches Appendix A from the blob impacket sent (NTProofStr, SessionBaseKey)', () => {
    const auth = hex(a.auth3Pdu).subarray(28);
    const nt = auth.subarray(0x74, 0x74 + 0xd2);
    const key = ntowfv2(ntHash(a.password), a.user, a.domain);
    const sut = ntProofStr(key, hex(a.serverChallenge), nt.subarray(16));
    expect(sut.toString('hex')).toBe(a.ntProofStr);
    expect(sessionBaseKey(key, sut).toString('hex')).toBe(a.sessionBaseKey);
  });
});

describe(lmv2Response.name, () => {
  it('is HMAC_MD5(key, server ‖ client challenge) ‖ client challenge (MS-NLMP 4.2.4.2.1)', () => {
    const sut = lmv2Response(hex(v.responseKeyNT), hex(v.serverChallenge), hex(v.clientChallenge));
    expect(sut.toString('hex')).toBe(v.lmv2Response);
  });
});
