import { windowsSmbSpnego as w } from '../../test/vectors/spnego/windows-smb-session-setup.js';
import { WcceError } from '../errors.js';
import { NtlmAcceptorContext, NtlmInitiatorContext, type NtlmAcceptorOptions } from '../ntlm/context.js';
import { AUTHENTICATE_MIC_OFFSET } from '../ntlm/messages.js';
import { computeMic, ntHash } from '../ntlm/ntlmv2.js';
import { NtlmSealing } from '../ntlm/sealing.js';
import { RpcAuthLevel, type NtlmCredentials } from '../security/provider.js';
import { SpnegoContext } from './context.js';
import { MechOid } from './oids.js';
import { NegState, decodeNegotiationToken, encodeNegTokenResp, type NegTokenResp } from './tokens.js';

const hex = (x: string): Buffer => Buffer.from(x, 'hex');
function mechToken(token: string): Buffer {
  const t = decodeNegotiationToken(hex(token));
  return t.kind === 'init' ? t.token.mechToken! : t.token.responseToken!;
}
function resp(b: Buffer): NegTokenResp {
  const t = decodeNegotiationToken(b);
  if (t.kind !== 'resp') throw new Error('not a NegTokenResp');
  return t.token;
}

describe('mechListMIC and NTLM MIC against the Windows SMB session setup (Open Specifications blog)', () => {
  const negotiate = mechToken(w.sessionSetupRequest1);
  const challenge = mechToken(w.sessionSetupResponse1);
  const authenticate = mechToken(w.sessionSetupRequest2);

  it("the Windows client's NTLM MIC is HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE)", () => {
    const zeroed = Buffer.from(authenticate);
    zeroed.fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + 16);
    const sut = computeMic(hex(w.sessionKey), negotiate, challenge, zeroed);
    expect(sut).toEqual(authenticate.subarray(AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + 16));
  });

  it.each([
    ['client', 'initiator' as const, w.clientMechListMic],
    ['server', 'acceptor' as const, w.serverMechListMic],
  ])('the %s mechListMIC is NTLM GetMIC over the MechTypeList DER at sequence 0 (MS-SPNG 3.1.5.1)', (_who, role, expected) => {
    const sut = new NtlmSealing(role, w.authenticateFlags, hex(w.sessionKey));
    expect(sut.sign(hex(w.mechTypesDer)).toString('hex')).toBe(expected);
  });
});

describe(SpnegoContext.name, () => {
  describe('acceptor against the Windows SMB session setup', () => {
    // The Windows server's names, challenge and time, read from its CHALLENGE in the blog.
    const options: NtlmAcceptorOptions = {
      lookupUser: () => undefined,
      netbiosDomain: 'SUT311',
      netbiosComputer: 'SUT311',
      dnsDomain: 'SUT311',
      dnsComputer: 'SUT311',
      version: { major: 10, minor: 0, build: 10130, revision: 15 },
      random: { serverChallenge: () => hex('5fc0cb7f886e93d6') },
      now: () => new Date(Number((0x01d0aecd6c5c8d24n - 116444736000000000n) / 10000n)),
    };

    it("answers the Windows NegTokenInit with the Windows server's NegTokenResp byte for byte", async () => {
      const sut = new SpnegoContext({ role: 'acceptor', inner: new NtlmAcceptorContext(options), mech: MechOid.NTLMSSP });
      const out = await sut.step(hex(w.sessionSetupRequest1));
      // Windows' own timestamp has sub-millisecond digits our Date clock cannot produce: compare
      // everything else, and the CHALLENGE with that AV pair's value masked.
      const ours = resp(out.output!);
      const theirs = resp(hex(w.sessionSetupResponse1));
      expect({ ...ours, responseToken: undefined }).toEqual({ ...theirs, responseToken: undefined });
      const mask = (b: Buffer): string => b.toString('hex').slice(0, -24);
      expect(mask(ours.responseToken!)).toBe(mask(theirs.responseToken!));
    });

    it('refuses an initiator that offers no NTLM', async () => {
      const sut = new SpnegoContext({ role: 'acceptor', inner: new NtlmAcceptorContext(options), mech: MechOid.NTLMSSP });
      const krbOnly = Buffer.from(w.sessionSetupRequest1, 'hex');
      krbOnly[krbOnly.indexOf(Buffer.from('2b06010401823702020a', 'hex')) + 9] = 0x1e; // NTLMSSP → NEGOEX
      await expect(sut.step(krbOnly)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    });
  });

  describe('initiator ↔ acceptor over NTLM', () => {
    const secret = 'Spnego-secret-1';
    const credentials: NtlmCredentials = { kind: 'ntlm', domain: 'CORP', user: 'bob', password: secret };
    const acceptorOptions: NtlmAcceptorOptions = {
      lookupUser: (user) => (user === 'bob' ? ntHash(secret) : undefined),
      netbiosDomain: 'CORP',
      netbiosComputer: 'CA01',
      dnsDomain: 'corp.local',
      dnsComputer: 'ca01.corp.local',
    };
    function pair(style: 'windows' | 'impacket', creds: NtlmCredentials = credentials): { client: SpnegoContext; server: SpnegoContext } {
      return {
        client: new SpnegoContext({
          role: 'initiator',
          inner: new NtlmInitiatorContext({ credentials: creds, style, spn: 'cifs/ca01.corp.local' }),
          mech: MechOid.NTLMSSP,
        }),
        server: new SpnegoContext({ role: 'acceptor', inner: new NtlmAcceptorContext(acceptorOptions), mech: MechOid.NTLMSSP }),
      };
    }

    it.each(['windows', 'impacket'] as const)('%s style: three legs, mechListMIC when NTLM sent a MIC, then sealed PDUs', async (style) => {
      const { client, server } = pair(style);
      const init = await client.step();
      const challenge = await server.step(init.output!);
      const auth = await client.step(challenge.output!);
      expect(resp(auth.output!).mechListMic !== undefined).toBe(style === 'windows');
      const final = await server.step(auth.output!);
      expect(final.complete).toBe(true);
      expect(resp(final.output!).negState).toBe(NegState.ACCEPT_COMPLETED);
      expect(resp(final.output!).mechListMic !== undefined).toBe(style === 'windows');
      expect(await client.step(final.output!)).toEqual({ complete: true });
      expect(client.complete && server.complete).toBe(true);
      expect(client.sessionKey()).toEqual(server.sessionKey());
      expect(server.peerName).toBe('CORP\\bob');

      // After the MIC exchange the RC4 handles restart and sequence numbers continue (MS-SPNG 3.1.5.1).
      const header = Buffer.alloc(24, 5);
      const trailer = Buffer.from('09060000' + '01000000', 'hex');
      const stub = Buffer.from('sealed after SPNEGO');
      const sent = client.wrap(RpcAuthLevel.PKT_PRIVACY, { header, stub, trailer });
      expect(sent.verifier.readUInt32LE(12)).toBe(style === 'windows' ? 1 : 0);
      expect(server.unwrap(RpcAuthLevel.PKT_PRIVACY, { header, stub: sent.stub, trailer }, sent.verifier)).toEqual(stub);
      const back = server.wrap(RpcAuthLevel.PKT_PRIVACY, { header, stub, trailer });
      expect(client.unwrap(RpcAuthLevel.PKT_PRIVACY, { header, stub: back.stub, trailer }, back.verifier)).toEqual(stub);
    });

    it('refuses a tampered client mechListMIC with INTEGRITY', async () => {
      const { client, server } = pair('windows');
      const challenge = await server.step((await client.step()).output!);
      const token = resp((await client.step(challenge.output!)).output!);
      token.mechListMic![6] = token.mechListMic![6]! ^ 1;
      await expect(server.step(encodeNegTokenResp(token))).rejects.toMatchObject({ code: 'INTEGRITY' });
    });

    it('refuses a missing mechListMIC when the NTLM AUTHENTICATE carried a MIC (Windows requires it)', async () => {
      const { client, server } = pair('windows');
      const challenge = await server.step((await client.step()).output!);
      const token = resp((await client.step(challenge.output!)).output!);
      delete token.mechListMic;
      await expect(server.step(encodeNegTokenResp(token))).rejects.toMatchObject({ code: 'INTEGRITY' });
    });

    it('refuses a tampered server mechListMIC with INTEGRITY', async () => {
      const { client, server } = pair('windows');
      const challenge = await server.step((await client.step()).output!);
      const final = resp((await server.step((await client.step(challenge.output!)).output!)).output!);
      final.mechListMic![8] = final.mechListMic![8]! ^ 1;
      await expect(client.step(encodeNegTokenResp(final))).rejects.toBeInstanceOf(WcceError);
    });

    it('turns a wrong password into AUTH_FAILED on the acceptor', async () => {
      const { client, server } = pair('windows', { ...credentials, password: 'nope' });
      const challenge = await server.step((await client.step()).output!);
      await expect(server.step((await client.step(challenge.output!)).output!)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    });

    it('turns a reject negState into AUTH_FAILED on the initiator', async () => {
      const { client } = pair('windows');
      await client.step();
      await expect(client.step(encodeNegTokenResp({ negState: NegState.REJECT }))).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    });

    it('accepts an SMB2 NEGOTIATE hint (NegTokenInit2) on the first step', async () => {
      const { client } = pair('windows');
      const out = await client.step(hex(w.negotiateResponseHint));
      const init = decodeNegotiationToken(out.output!);
      expect(init.kind === 'init' && init.token.mechTypes).toEqual([MechOid.NTLMSSP]);
    });
  });
});
