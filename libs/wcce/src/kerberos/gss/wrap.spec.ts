import { appendixB as v } from '../../../test/vectors/kerberos/wcce-appendix-b.js';
import { EncType } from '../crypto/index.js';
import type { GssMessageKeys } from './token-flags.js';
import { dceUnwrap, dceWrap, dceWrapVerifierLength, wrapEc } from './wrap.js';

const keys: GssMessageKeys = { key: Buffer.from(v.key, 'hex'), etype: EncType.AES256_CTS_HMAC_SHA1_96, acceptorSubkey: true };
const data = Buffer.from(v.stub + v.authPad, 'hex');

describe(dceWrap.name, () => {
  it('reproduces research/wcce-protocol.md Appendix B byte for byte', () => {
    const sut = dceWrap({ keys, sender: 'initiator', seq: v.seq, data, padding: 'block', confounder: Buffer.from(v.confounder, 'hex') });
    expect(sut.verifier.subarray(0, 16).toString('hex')).toBe(v.tokenHeader);
    expect(sut.verifier.toString('hex')).toBe(v.authValue);
    expect(sut.sealed.toString('hex')).toBe(v.sealedStub);
    expect(sut.verifier.length).toBe(dceWrapVerifierLength(keys.etype, wrapEc('block', data.length)));
  });

  it('the Appendix B token unwraps on the acceptor side', () => {
    const sut = dceUnwrap({ keys, receiver: 'acceptor', verifier: Buffer.from(v.authValue, 'hex'), sealed: Buffer.from(v.sealedStub, 'hex') });
    expect(sut.data).toEqual(data);
    expect(sut.seq).toBe(0n);
  });

  it.each([
    { sender: 'initiator' as const, receiver: 'acceptor' as const, etype: EncType.AES256_CTS_HMAC_SHA1_96 },
    { sender: 'acceptor' as const, receiver: 'initiator' as const, etype: EncType.AES256_CTS_HMAC_SHA1_96 },
    { sender: 'initiator' as const, receiver: 'acceptor' as const, etype: EncType.AES128_CTS_HMAC_SHA1_96 },
  ])('MS-KILE EC=16: $sender → $receiver, etype $etype, 76/76-byte verifier', ({ sender, receiver, etype }) => {
    const k: GssMessageKeys = { key: Buffer.alloc(etype === 18 ? 32 : 16, 7), etype, acceptorSubkey: true };
    for (const len of [0, 1, 16, 100, 4096]) {
      const payload = Buffer.alloc(len, 0x5a);
      const w = dceWrap({ keys: k, sender, seq: 41n, data: payload });
      expect(w.verifier.length).toBe(76);
      expect(w.sealed.length).toBe(len);
      expect(w.verifier[2]).toBe(sender === 'acceptor' ? 0x07 : 0x06);
      const u = dceUnwrap({ keys: k, receiver, verifier: w.verifier, sealed: w.sealed });
      expect(u.data).toEqual(payload);
      expect(u.seq).toBe(41n);
    }
  });

  it('a tampered sealed stub fails with INTEGRITY', () => {
    const w = dceWrap({ keys, sender: 'initiator', seq: 1n, data });
    w.sealed[3]! ^= 0x80;
    expect(() => dceUnwrap({ keys, receiver: 'acceptor', verifier: w.verifier, sealed: w.sealed })).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
  });

  it('a token reflected back to its sender fails (direction flag)', () => {
    const w = dceWrap({ keys, sender: 'initiator', seq: 1n, data });
    expect(() => dceUnwrap({ keys, receiver: 'initiator', verifier: w.verifier, sealed: w.sealed })).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
  });

  it('a short or foreign verifier is a PROTOCOL error with the field', () => {
    expect(() => dceUnwrap({ keys, receiver: 'acceptor', verifier: Buffer.alloc(8), sealed: data })).toThrow(
      expect.objectContaining({ code: 'PROTOCOL', field: 'header' }),
    );
    const bad = Buffer.from(v.authValue, 'hex');
    bad[0] = 0x04;
    expect(() => dceUnwrap({ keys, receiver: 'acceptor', verifier: bad, sealed: data })).toThrow(expect.objectContaining({ field: 'TOK_ID' }));
  });
});
