import { msNlmp424 as v, msNlmp424ServerKeys as s } from '../../test/vectors/ntlm/ms-nlmp-4-2-4.js';
import { appendixA as a } from '../../test/vectors/ntlm/appendix-a.js';
import { deriveSessionKeys } from './keys.js';

const hex = (x: string): Buffer => Buffer.from(x, 'hex');

describe(deriveSessionKeys.name, () => {
  it.each([
    {
      name: 'MS-NLMP 4.2.4.4 (client keys from the spec, server keys from wcce-protocol.md 6)',
      flags: v.challengeFlags,
      exported: v.randomSessionKey,
      expected: { clientSignKey: v.clientSignKey, clientSealKey: v.clientSealKey, ...s },
    },
    {
      name: 'wcce-protocol.md Appendix A',
      flags: a.authenticateFlags,
      exported: a.exportedSessionKey,
      expected: {
        clientSignKey: a.clientSignKey,
        clientSealKey: a.clientSealKey,
        serverSignKey: a.serverSignKey,
        serverSealKey: a.serverSealKey,
      },
    },
  ])('$name', ({ flags, exported, expected }) => {
    const sut = deriveSessionKeys(flags, hex(exported));
    expect({
      clientSignKey: sut.clientSignKey.toString('hex'),
      clientSealKey: sut.clientSealKey.toString('hex'),
      serverSignKey: sut.serverSignKey.toString('hex'),
      serverSealKey: sut.serverSealKey.toString('hex'),
    }).toEqual(expected);
  });

  it('weakens the seal key base with NEGOTIATE_56 only or neither (MS-NLMP 3.4.5.3)', () => {
    const key = hex(v.randomSessionKey);
    const k128 = deriveSessionKeys(0x20080000, key).clientSealKey;
    const k56 = deriveSessionKeys(0x80080000, key).clientSealKey;
    const k40 = deriveSessionKeys(0x00080000, key).clientSealKey;
    expect(new Set([k128.toString('hex'), k56.toString('hex'), k40.toString('hex')]).size).toBe(3);
  });
});
