import { msNlmp424 as v } from '../../test/vectors/ntlm/ms-nlmp-4-2-4.js';
import { WcceError } from '../errors.js';
import { NtlmSealing } from './sealing.js';

const hex = (x: string): Buffer => Buffer.from(x, 'hex');

describe(NtlmSealing.name, () => {
  it('seals "Plaintext" as MS-NLMP 4.2.4.4 shows (data and signature)', () => {
    const sut = new NtlmSealing('initiator', v.challengeFlags, hex(v.randomSessionKey));
    const { sealed, signature } = sut.seal(hex(v.plaintext));
    expect(sealed.toString('hex')).toBe(v.sealedData);
    expect(signature.toString('hex')).toBe(v.signature);
  });

  it('unseals the MS-NLMP 4.2.4.4 message on the acceptor side', () => {
    const sut = new NtlmSealing('acceptor', v.challengeFlags, hex(v.randomSessionKey));
    expect(sut.unseal(hex(v.sealedData), hex(v.signature)).toString('hex')).toBe(v.plaintext);
  });

  function pair(): { client: NtlmSealing; server: NtlmSealing } {
    return {
      client: new NtlmSealing('initiator', v.challengeFlags, hex(v.randomSessionKey)),
      server: new NtlmSealing('acceptor', v.challengeFlags, hex(v.randomSessionKey)),
    };
  }

  it('keeps per-direction RC4 state and sequence numbers across messages', () => {
    const { client, server } = pair();
    for (let i = 0; i < 3; i++) {
      const msg = Buffer.from(`request ${i}`);
      const { sealed, signature } = client.seal(msg);
      expect(signature.readUInt32LE(12)).toBe(i);
      expect(server.unseal(sealed, signature)).toEqual(msg);
      const reply = server.seal(Buffer.from(`reply ${i}`));
      expect(client.unseal(reply.sealed, reply.signature).toString()).toBe(`reply ${i}`);
    }
  });

  it.each([
    ['a flipped checksum byte', (sig: Buffer) => (sig[5] = sig[5]! ^ 1)],
    ['a wrong version', (sig: Buffer) => sig.writeUInt32LE(2, 0)],
    ['a skipped sequence number', (sig: Buffer) => sig.writeUInt32LE(1, 12)],
  ])('refuses %s with INTEGRITY and stays usable', (_name, tamper) => {
    const { client, server } = pair();
    const { sealed, signature } = client.seal(Buffer.from('data'));
    const bad = Buffer.from(signature);
    tamper(bad);
    expect(() => server.unseal(sealed, bad)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
    expect(server.unseal(sealed, signature).toString()).toBe('data');
  });

  it('refuses a replayed message with INTEGRITY', () => {
    const { client, server } = pair();
    const first = client.sign(Buffer.from('one'));
    server.verify(Buffer.from('one'), first);
    expect(() => server.verify(Buffer.from('one'), first)).toThrow(WcceError);
  });

  it('restarts RC4 but keeps sequence numbers on resetRc4 (MS-SPNG 3.1.5.1)', () => {
    const { client, server } = pair();
    server.verify(Buffer.from('mechTypes'), client.sign(Buffer.from('mechTypes')));
    client.resetRc4();
    server.resetRc4();
    const { sealed, signature } = client.seal(Buffer.from('after'));
    expect(signature.readUInt32LE(12)).toBe(1);
    expect(server.unseal(sealed, signature).toString()).toBe('after');
  });

  it('refuses contexts without extended session security', () => {
    expect(() => new NtlmSealing('initiator', 0x20000000, hex(v.randomSessionKey))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});
