import { EncType, aes256CtsHmacSha1, KeyUsage } from '../crypto/index.js';
import { getMic, micTokenLength, verifyMic } from './mic.js';
import type { GssMessageKeys } from './token-flags.js';

const keys: GssMessageKeys = { key: Buffer.alloc(32, 3), etype: EncType.AES256_CTS_HMAC_SHA1_96, acceptorSubkey: true };
const message = Buffer.from('30 0d 06 0b 2a 86 48 86 f7 12 01 02 02'.replace(/ /g, ''), 'hex');

describe(getMic.name, () => {
  it('builds the RFC 4121 4.2.6.1 layout with the usage-25 checksum over data ‖ header', () => {
    const sut = getMic(keys, 'initiator', 5n, message);
    expect(sut.length).toBe(micTokenLength(keys.etype));
    expect(sut.subarray(0, 16).toString('hex')).toBe('040404ffffffffff0000000000000005');
    const expected = aes256CtsHmacSha1.checksum(keys.key, KeyUsage.GSS_INITIATOR_SIGN, Buffer.concat([message, sut.subarray(0, 16)]));
    expect(sut.subarray(16)).toEqual(expected);
  });

  it('verifies in the other direction and rejects tampering and reflection', () => {
    const token = getMic(keys, 'acceptor', 9n, message);
    expect(token[2]).toBe(0x05);
    expect(verifyMic(keys, 'initiator', message, token).seq).toBe(9n);
    expect(() => verifyMic(keys, 'acceptor', message, token)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
    const bad = Buffer.from(message);
    bad[0]! ^= 1;
    expect(() => verifyMic(keys, 'initiator', bad, token)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
  });
});
