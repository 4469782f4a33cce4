import { appendixA as a } from '../../test/vectors/ntlm/appendix-a.js';
import { msNlmp424 as v } from '../../test/vectors/ntlm/ms-nlmp-4-2-4.js';
import { WcceError, WcceProtocolError } from '../errors.js';
import { RpcAuthLevel, type NtlmCredentials, type RpcPduParts } from '../security/provider.js';
import { NtlmAcceptorContext, NtlmInitiatorContext, type NtlmAcceptorOptions, type NtlmAuthenticateStyle } from './context.js';
import { AUTHENTICATE_MIC_OFFSET, decodeAuthenticate, encodeNegotiate } from './messages.js';
import { ntHash } from './ntlmv2.js';

const hex = (x: string): Buffer => Buffer.from(x, 'hex');
const authValue = (pdu: Buffer): Buffer => pdu.subarray(pdu.length - pdu.readUInt16LE(10));
/** Splits a DCE/RPC REQUEST/RESPONSE (24-byte header, 8-byte sec_trailer, 16-byte verifier). */
function split(pdu: Buffer): { parts: RpcPduParts; verifier: Buffer } {
  const authLength = pdu.readUInt16LE(10);
  const trailerAt = pdu.length - authLength - 8;
  return {
    parts: { header: pdu.subarray(0, 24), stub: pdu.subarray(24, trailerAt), trailer: pdu.subarray(trailerAt, trailerAt + 8) },
    verifier: pdu.subarray(trailerAt + 8),
  };
}

const appendixCredentials: NtlmCredentials = { kind: 'ntlm', domain: a.domain, user: a.user, password: a.password };
const fixedRandom = {
  clientChallenge: () => hex(a.clientChallenge),
  exportedSessionKey: () => hex(a.exportedSessionKey),
  serverChallenge: () => hex(a.serverChallenge),
};
const appendixAcceptorOptions: NtlmAcceptorOptions = {
  lookupUser: (user, domain) => (user === a.user && domain === a.domain ? ntHash(a.password) : undefined),
  netbiosDomain: a.netbiosDomain,
  netbiosComputer: a.netbiosComputer,
  dnsDomain: a.dnsDomain,
  dnsComputer: a.dnsComputer,
  dnsTree: a.dnsTree,
  random: fixedRandom,
  now: () => new Date(Number((a.timestamp - 116444736000000000n) / 10000n)),
};

describe(NtlmInitiatorContext.name, () => {
  describe('impacket style against wcce-protocol.md Appendix A', () => {
    async function authenticated(): Promise<{ sut: NtlmInitiatorContext; negotiate: Buffer; authenticate: Buffer }> {
      const sut = new NtlmInitiatorContext({ credentials: appendixCredentials, style: 'impacket', random: fixedRandom });
      const first = await sut.step();
      const second = await sut.step(authValue(hex(a.bindAckPdu)));
      return { sut, negotiate: first.output!, authenticate: second.output! };
    }

    it('sends the BIND NEGOTIATE byte for byte', async () => {
      const { negotiate } = await authenticated();
      expect(negotiate.toString('hex')).toBe(authValue(hex(a.bindPdu)).toString('hex'));
    });

    it('builds the AUTH3 AUTHENTICATE byte for byte and exports the recorded session key', async () => {
      const { sut, authenticate } = await authenticated();
      expect(authenticate.toString('hex')).toBe(authValue(hex(a.auth3Pdu)).toString('hex'));
      expect(sut.complete).toBe(true);
      expect(sut.sessionKey().toString('hex')).toBe(a.exportedSessionKey);
      expect(sut.flags).toBe(a.authenticateFlags);
    });

    it('seals the ICPR request stub and verifier byte for byte (call_id 2, seq 0)', async () => {
      const { sut } = await authenticated();
      const request = hex(a.requestPdu);
      const { parts, verifier } = split(request);
      const plaintext = Buffer.concat([hex(a.requestStubPlaintext), hex(a.requestAuthPad)]);
      const out = sut.wrap(RpcAuthLevel.PKT_PRIVACY, { ...parts, stub: plaintext });
      expect(out.stub.toString('hex')).toBe(parts.stub.toString('hex'));
      expect(out.verifier.toString('hex')).toBe(verifier.toString('hex'));
      expect(sut.verifierLength(RpcAuthLevel.PKT_PRIVACY, plaintext.length)).toBe(16);
    });

    it("unseals and verifies the server's sealed RESPONSE", async () => {
      const { sut } = await authenticated();
      const { parts, verifier } = split(hex(a.responsePdu));
      expect(sut.unwrap(RpcAuthLevel.PKT_PRIVACY, parts, verifier).toString('hex')).toBe(a.responseStubPlaintext);
    });

    it('refuses the same RESPONSE twice (replayed sequence number)', async () => {
      const { sut } = await authenticated();
      const { parts, verifier } = split(hex(a.responsePdu));
      sut.unwrap(RpcAuthLevel.PKT_PRIVACY, parts, verifier);
      expect(() => sut.unwrap(RpcAuthLevel.PKT_PRIVACY, parts, verifier)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
    });

    it('refuses a RESPONSE whose verifier was tampered with', async () => {
      const { sut } = await authenticated();
      const { parts, verifier } = split(hex(a.responsePdu));
      const bad = Buffer.from(verifier);
      bad[6] = bad[6]! ^ 0x80;
      expect(() => sut.unwrap(RpcAuthLevel.PKT_PRIVACY, parts, bad)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
      // The failed attempt did not advance the state: the genuine PDU still verifies.
      expect(sut.unwrap(RpcAuthLevel.PKT_PRIVACY, parts, verifier).toString('hex')).toBe(a.responseStubPlaintext);
    });

    it('refuses a RESPONSE whose clear header was changed (the header is signed)', async () => {
      const { sut } = await authenticated();
      const { parts, verifier } = split(hex(a.responsePdu));
      const header = Buffer.from(parts.header);
      header.writeUInt32LE(3, 12); // call_id
      expect(() => sut.unwrap(RpcAuthLevel.PKT_PRIVACY, { ...parts, header }, verifier)).toThrow(WcceError);
    });
  });

  it('accepts an NT hash instead of a password (pass-the-hash) with the same result', async () => {
    const sut = new NtlmInitiatorContext({
      credentials: { kind: 'ntlm', domain: a.domain, user: a.user, ntHash: ntHash(a.password) },
      style: 'impacket',
      random: fixedRandom,
    });
    await sut.step();
    const out = await sut.step(authValue(hex(a.bindAckPdu)));
    expect(out.output!.toString('hex')).toBe(authValue(hex(a.auth3Pdu)).toString('hex'));
  });

  it('sends Version, MsvAvFlags MIC-present, a MIC and Z(24) LM in windows style', async () => {
    const sut = new NtlmInitiatorContext({ credentials: appendixCredentials, spn: 'host/ca01.test.local', random: fixedRandom });
    await sut.step();
    const auth = decodeAuthenticate((await sut.step(authValue(hex(a.bindAckPdu)))).output!);
    expect(auth.version).toBeDefined();
    expect(auth.mic).toHaveLength(16);
    expect(auth.mic!.equals(Buffer.alloc(16))).toBe(false);
    expect(auth.lmChallengeResponse).toEqual(Buffer.alloc(24));
    expect(sut.mechListMicRequired).toBe(true);
    expect(auth.ntChallengeResponse.subarray(-4)).toEqual(Buffer.alloc(4)); // the spec's trailing Z(4)
  });

  it('refuses credentials with neither password nor NT hash, and a short NT hash', () => {
    expect(() => new NtlmInitiatorContext({ credentials: { kind: 'ntlm', domain: 'D', user: 'u' } })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => new NtlmInitiatorContext({ credentials: { kind: 'ntlm', domain: 'D', user: 'u', ntHash: Buffer.alloc(8) } })).toThrow(
      expect.objectContaining({ code: 'CONFIG' }),
    );
  });

  it('reports a truncated CHALLENGE as WcceProtocolError with field and offset', async () => {
    const sut = new NtlmInitiatorContext({ credentials: appendixCredentials });
    await sut.step();
    const truncated = authValue(hex(a.bindAckPdu)).subarray(0, 40);
    await expect(sut.step(truncated)).rejects.toThrow(WcceProtocolError);
    await expect(new NtlmInitiatorContext({ credentials: appendixCredentials }).step(Buffer.from('x'))).rejects.toThrow(WcceError);
  });
});

describe(NtlmAcceptorContext.name, () => {
  it('issues the Appendix A CHALLENGE byte for byte from the same names, challenge and time', async () => {
    const sut = new NtlmAcceptorContext(appendixAcceptorOptions);
    const out = await sut.step(authValue(hex(a.bindPdu)));
    expect(out.output!.toString('hex')).toBe(authValue(hex(a.bindAckPdu)).toString('hex'));
    expect(out.complete).toBe(false);
  });

  it("accepts impacket's AUTH3, then unseals its REQUEST and seals the recorded RESPONSE", async () => {
    const sut = new NtlmAcceptorContext(appendixAcceptorOptions);
    await sut.step(authValue(hex(a.bindPdu)));
    const done = await sut.step(authValue(hex(a.auth3Pdu)));
    expect(done).toEqual({ complete: true });
    expect(sut.peerName).toBe('TEST\\svc-enroll');
    expect(sut.sessionKey().toString('hex')).toBe(a.exportedSessionKey);

    const request = split(hex(a.requestPdu));
    const plain = sut.unwrap(RpcAuthLevel.PKT_PRIVACY, request.parts, request.verifier);
    expect(plain.toString('hex')).toBe(a.requestStubPlaintext + a.requestAuthPad);

    const response = split(hex(a.responsePdu));
    const out = sut.wrap(RpcAuthLevel.PKT_PRIVACY, { ...response.parts, stub: hex(a.responseStubPlaintext) });
    expect(out.stub).toEqual(response.parts.stub);
    expect(out.verifier).toEqual(response.verifier);
  });

  it('verifies the MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE and exports its RandomSessionKey', async () => {
    const sut = new NtlmAcceptorContext({
      lookupUser: (user, domain) => (user === v.user && domain === v.domain ? ntHash(v.password) : undefined),
      netbiosDomain: v.domain,
      netbiosComputer: v.serverName,
      random: { serverChallenge: () => hex(v.serverChallenge) },
    });
    await sut.step(encodeNegotiate({ flags: 0xe2088297 }));
    await sut.step(hex(v.authenticateMessage));
    expect(sut.sessionKey().toString('hex')).toBe(v.randomSessionKey);
    expect(sut.peerName).toBe('Domain\\User');
  });

  it.each([
    ['a wrong password', { password: 'wrong' }],
    ['an unknown user', { user: 'nobody' }],
  ])('refuses %s with AUTH_FAILED, without the secret in the message', async (_name, change) => {
    const sut = new NtlmAcceptorContext(appendixAcceptorOptions);
    const client = new NtlmInitiatorContext({ credentials: { ...appendixCredentials, ...change } });
    const challenge = await sut.step((await client.step()).output!);
    const auth = await client.step(challenge.output!);
    const error = await sut.step(auth.output!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WcceError);
    expect(error).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(String((error as Error).message)).not.toMatch(/wrong|Passw0rd/);
    expect(sut.complete).toBe(false);
  });

  it('refuses a tampered MIC with INTEGRITY', async () => {
    const sut = new NtlmAcceptorContext(appendixAcceptorOptions);
    const client = new NtlmInitiatorContext({ credentials: appendixCredentials });
    const challenge = await sut.step((await client.step()).output!);
    const auth = Buffer.from((await client.step(challenge.output!)).output!);
    auth[AUTHENTICATE_MIC_OFFSET] = auth[AUTHENTICATE_MIC_OFFSET]! ^ 1;
    await expect(sut.step(auth)).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('refuses a removed MIC when MsvAvFlags announces one', async () => {
    const sut = new NtlmAcceptorContext(appendixAcceptorOptions);
    const client = new NtlmInitiatorContext({ credentials: appendixCredentials });
    const challenge = await sut.step((await client.step()).output!);
    const auth = (await client.step(challenge.output!)).output!;
    // Rebuild without the 16 MIC bytes: offsets shift, MsvAvFlags (inside the proof) still says MIC present.
    const withoutMic = Buffer.concat([auth.subarray(0, 72), auth.subarray(88)]);
    for (let field = 12; field < 60; field += 8) withoutMic.writeUInt32LE(withoutMic.readUInt32LE(field + 4) - 16, field + 4);
    await expect(sut.step(withoutMic)).rejects.toBeInstanceOf(WcceError);
  });

  it.each([
    ['an NTLMv1-sized NT response', (b: Buffer) => b.writeUInt16LE(24, 20), 'NtChallengeResponse'],
    ['a truncated message', (b: Buffer) => b.fill(0xff, 24, 28), 'NtChallengeResponseFields'],
  ])('reports %s as WcceProtocolError naming the field', async (_name, corrupt, field) => {
    const sut = new NtlmAcceptorContext(appendixAcceptorOptions);
    await sut.step(authValue(hex(a.bindPdu)));
    const auth = Buffer.from(authValue(hex(a.auth3Pdu)));
    corrupt(auth);
    await expect(sut.step(auth)).rejects.toMatchObject({ name: 'WcceProtocolError', field });
  });
});

describe('NTLM initiator ↔ acceptor round trips', () => {
  const secret = 'S3cret!pass';
  const acceptorOptions: NtlmAcceptorOptions = {
    lookupUser: (user, domain) => (user.toLowerCase() === 'alice' && domain === 'CORP' ? ntHash(secret) : undefined),
    netbiosDomain: 'CORP',
    netbiosComputer: 'CA01',
    dnsDomain: 'corp.local',
    dnsComputer: 'ca01.corp.local',
  };
  const cases: ReadonlyArray<{ style: NtlmAuthenticateStyle; secret: string; credentials: NtlmCredentials }> = [
    { style: 'windows', secret: 'password', credentials: { kind: 'ntlm', domain: 'CORP', user: 'alice', password: secret } },
    { style: 'windows', secret: 'NT hash', credentials: { kind: 'ntlm', domain: 'CORP', user: 'alice', ntHash: ntHash(secret) } },
    { style: 'impacket', secret: 'password', credentials: { kind: 'ntlm', domain: 'CORP', user: 'alice', password: secret } },
    { style: 'impacket', secret: 'NT hash', credentials: { kind: 'ntlm', domain: 'CORP', user: 'alice', ntHash: ntHash(secret) } },
  ];

  it.each(cases)('$style style with a $secret authenticates and exchanges sealed PDUs', async ({ style, credentials }) => {
    const client = new NtlmInitiatorContext({ credentials, style, spn: 'host/ca01.corp.local' });
    const server = new NtlmAcceptorContext(acceptorOptions);
    const challenge = await server.step((await client.step()).output!);
    const auth = await client.step(challenge.output!);
    expect(await server.step(auth.output!)).toEqual({ complete: true });
    expect(server.sessionKey()).toEqual(client.sessionKey());
    expect(server.peerName).toBe('CORP\\alice');

    for (const level of [RpcAuthLevel.PKT_PRIVACY, RpcAuthLevel.PKT_INTEGRITY]) {
      for (let i = 0; i < 3; i++) {
        const header = Buffer.from(`0500000310000000${(40 + i).toString(16).padStart(4, '0')}10000200000010000000000000000000`, 'hex').subarray(0, 24);
        const trailer = Buffer.from('0a0600007f350100', 'hex');
        const stub = Buffer.from(`stub number ${i}.`);
        const sent = client.wrap(level, { header, stub, trailer });
        expect(server.unwrap(level, { header, stub: sent.stub, trailer }, sent.verifier)).toEqual(stub);
        const back = server.wrap(level, { header, stub, trailer });
        expect(client.unwrap(level, { header, stub: back.stub, trailer }, back.verifier)).toEqual(stub);
      }
    }
  });

  it('refuses wrap before completion', () => {
    const sut = new NtlmInitiatorContext({ credentials: { kind: 'ntlm', domain: 'D', user: 'u', password: 'p' } });
    expect(() => sut.sessionKey()).toThrow(WcceError);
    expect(() => sut.wrap(RpcAuthLevel.PKT_PRIVACY, { header: Buffer.alloc(24), stub: Buffer.alloc(4), trailer: Buffer.alloc(8) })).toThrow(WcceError);
  });
});
