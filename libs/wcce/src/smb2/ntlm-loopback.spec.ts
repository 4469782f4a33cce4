import { NtlmAcceptorContext, NtlmProvider, ntHash } from '../ntlm/index.js';
import { MechOid, SpnegoContext } from '../spnego/index.js';
import type { NtlmAuthenticateStyle } from '../ntlm/index.js';
import { SmbSession } from './client/session.js';
import type { Smb2Dialect } from './constants.js';
import type { PipeOpenInfo } from './server/connection.js';
import { SmbServer } from './server/server.js';
import { ScriptedPipe } from './testing/test-pipes.js';

/** The real stack on both ends: NTLMv2 in SPNEGO, SMB2 keys from the NTLM ExportedSessionKey. */
describe(`${SmbServer.name} with NTLM/SPNEGO, driven by ${SmbSession.name}`, () => {
  let server: SmbServer;
  const opens: PipeOpenInfo[] = [];

  beforeAll(async () => {
    const hash = ntHash('Passw0rd!');
    server = new SmbServer({
      createAcceptor: () =>
        new SpnegoContext({
          role: 'acceptor',
          mech: MechOid.NTLMSSP,
          inner: new NtlmAcceptorContext({
            lookupUser: (user) => (user.toLowerCase() === 'svc-enroll' ? hash : undefined),
            netbiosDomain: 'TEST',
            netbiosComputer: 'CA01',
            dnsDomain: 'test.local',
            dnsComputer: 'ca01.test.local',
          }),
        }),
      pipes: {
        cert: (info) => {
          opens.push(info);
          return new ScriptedPipe();
        },
      },
      encryption: 'supported',
    });
    await server.listen();
  });
  afterAll(() => server.close());

  const connect = (dialect: Smb2Dialect, style: NtlmAuthenticateStyle, password = 'Passw0rd!', encryption: 'auto' | 'required' = 'auto'): Promise<SmbSession> =>
    SmbSession.connect({
      host: '127.0.0.1',
      port: server.port,
      serverName: 'ca01.test.local',
      provider: new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: 'svc-enroll', password }, { style }),
      dialects: [dialect],
      encryption,
      timeoutMs: 5000,
    });

  it.each([
    ['2.0.2', 0x0202, 'windows'],
    ['2.1', 0x0210, 'impacket'],
    ['3.0', 0x0300, 'windows'],
    ['3.0.2', 0x0302, 'impacket'],
    ['3.1.1', 0x0311, 'windows'],
    ['3.1.1', 0x0311, 'impacket'],
  ] as [string, Smb2Dialect, NtlmAuthenticateStyle][])(
    'dialect %s with %s-style NTLM: signed session, pipe open knows the user',
    async (_name, dialect, style) => {
      const sut = await connect(dialect, style);
      try {
        const pipe = await sut.openPipe('cert');
        expect((await pipe.transact(Buffer.from('bind'))).toString()).toBe('ACK:bind');
        expect(opens.at(-1)).toMatchObject({
          pipeName: 'cert',
          peerName: expect.stringMatching(/svc-enroll/i) as unknown,
        });
      } finally {
        await sut.close();
      }
    },
  );

  it.each([
    ['3.0', 0x0300],
    ['3.1.1', 0x0311],
  ] as [string, Smb2Dialect][])('dialect %s: client-requested encryption works end to end', async (_name, dialect) => {
    const sut = await connect(dialect, 'windows', 'Passw0rd!', 'required');
    try {
      expect(sut.encrypted).toBe(true);
      const pipe = await sut.openPipe('cert');
      await pipe.write(Buffer.from('x'));
      expect((await pipe.read()).toString()).toBe('ACK:x');
    } finally {
      await sut.close();
    }
  });

  it('refuses a wrong password with AUTH_FAILED', async () => {
    await expect(connect(0x0311, 'windows', 'wrong')).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      status: 0xc000006d,
    });
  });
});
