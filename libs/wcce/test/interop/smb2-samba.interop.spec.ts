/**
 * libs/wcce SMB2/3 client against a real Samba smbd (Debian `samba`), started on loopback by
 * scripts/peers/samba-smbd.sh. Run: ENROLLGATE_TEST_KIND=interop npm run test:unit -- libs/wcce/test/interop
 *
 * Covers negotiate (2.0.2 - 3.1.1), NTLM-in-SPNEGO session setup, mandatory signing, SMB3
 * encryption required by the server, IPC$, \pipe\srvsvc and a DCE/RPC BIND over both
 * FSCTL_PIPE_TRANSCEIVE and WRITE+READ, and the failures a CA client must classify.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NtlmProvider } from '../../src/ntlm/index.js';
import type { NtlmAuthenticateStyle } from '../../src/ntlm/index.js';
import { SmbSession } from '../../src/smb2/client/session.js';
import type { Smb2Dialect } from '../../src/smb2/constants.js';
import { decodeBindAck, encodeBind } from '../../src/dcerpc/bind.js';
import { ContextResult, PacketType } from '../../src/dcerpc/constants.js';
import { NDR20_SYNTAX } from '../../src/dcerpc/syntax.js';
import { SRVSVC } from '../../src/rpc-interfaces/srvsvc.js';

const SCRIPT = new URL('../../../../scripts/peers/samba-smbd.sh', import.meta.url).pathname;

interface Smbd {
  dir: string;
  port: number;
  user: string;
  password: string;
}

function startSmbd(env: Record<string, string>): Smbd {
  const dir = mkdtempSync(join(tmpdir(), 'enrollgate-smbd-'));
  let out: string;
  try {
    out = execFileSync('bash', [SCRIPT, 'start', dir], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    throw new Error(`could not start smbd (exit ${err.status}): ${err.stderr?.toString() ?? ''}`, { cause: e });
  }
  const vars = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string]),
  );
  return {
    dir,
    port: Number(out.trim()),
    user: vars['USER']!,
    password: vars['PASSWORD']!,
  };
}

function stopSmbd(s: Smbd | undefined): void {
  if (!s) return;
  execFileSync('bash', [SCRIPT, 'stop', s.dir]);
  rmSync(s.dir, { recursive: true, force: true });
}

/** An unauthenticated BIND for srvsvc 3.0 / NDR 2.0, from the dcerpc codec, call id 1. */
function srvsvcBind(): Buffer {
  return encodeBind({
    ptype: PacketType.BIND,
    callId: 1,
    maxXmitFrag: 4280,
    maxRecvFrag: 4280,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: SRVSVC, transferSyntaxes: [NDR20_SYNTAX] }],
  });
}

/** The reply must be a BIND_ACK for call 1 that accepts the context, from \\pipe\\srvsvc. */
function expectBindAck(reply: Buffer): void {
  const ack = decodeBindAck(reply);
  expect(ack).toMatchObject({ ptype: PacketType.BIND_ACK, callId: 1 });
  expect(ack.secondaryAddress.toLowerCase()).toBe('\\pipe\\srvsvc');
  expect(ack.results).toEqual([
    expect.objectContaining({
      result: ContextResult.ACCEPTANCE,
      transferSyntax: NDR20_SYNTAX,
    }),
  ]);
}

describe('SMB2 client against Samba smbd', () => {
  let signed: Smbd | undefined;
  let encrypted: Smbd | undefined;

  beforeAll(() => {
    signed = startSmbd({ SMB_SIGNING: 'mandatory' });
    encrypted = startSmbd({
      SMB_SIGNING: 'mandatory',
      SMB_ENCRYPT: 'required',
    });
  });

  afterAll(() => {
    stopSmbd(signed);
    stopSmbd(encrypted);
  });

  const provider = (s: Smbd, style: NtlmAuthenticateStyle = 'windows', password = s.password): NtlmProvider =>
    new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: s.user, password }, { style });
  const connect = (s: Smbd, dialects: readonly Smb2Dialect[], style: NtlmAuthenticateStyle = 'windows'): Promise<SmbSession> =>
    SmbSession.connect({
      host: '127.0.0.1',
      port: s.port,
      serverName: 'PEERSRV',
      provider: provider(s, style),
      dialects,
      timeoutMs: 10_000,
    });

  describe.each([
    ['2.0.2', 0x0202],
    ['2.1', 0x0210],
    ['3.0', 0x0300],
    ['3.0.2', 0x0302],
    ['3.1.1', 0x0311],
  ] as [string, Smb2Dialect][])('dialect %s, server signing = mandatory', (_name, dialect) => {
    it('negotiates, logs on with NTLM, opens \\pipe\\srvsvc and gets a BIND_ACK via transceive and via WRITE+READ', async () => {
      const sut = await connect(signed!, [dialect]);
      try {
        expect(sut.dialect).toBe(dialect);
        expect(sut.negotiated.serverSigningRequired).toBe(true);
        expect(sut.encrypted).toBe(false);
        const viaIoctl = await sut.openPipe('srvsvc');
        expectBindAck(await viaIoctl.transact(srvsvcBind()));
        await viaIoctl.close();
        const viaReadWrite = await sut.openPipe('srvsvc');
        await viaReadWrite.write(srvsvcBind());
        expectBindAck(await viaReadWrite.read());
        await sut.echo();
      } finally {
        await sut.close();
      }
    });
  });

  it('works with the impacket-style NTLM AUTHENTICATE (no MIC) on 3.1.1 too', async () => {
    const sut = await connect(signed!, [0x0311], 'impacket');
    try {
      expectBindAck(await (await sut.openPipe('srvsvc')).transact(srvsvcBind()));
    } finally {
      await sut.close();
    }
  });

  describe.each([
    ['3.0', 0x0300],
    ['3.0.2', 0x0302],
    ['3.1.1', 0x0311],
  ] as [string, Smb2Dialect][])('dialect %s, server smb encrypt = required', (_name, dialect) => {
    it('encrypts the session and binds srvsvc', async () => {
      const sut = await connect(encrypted!, [dialect]);
      try {
        expect(sut.encrypted).toBe(true);
        expectBindAck(await (await sut.openPipe('srvsvc')).transact(srvsvcBind()));
      } finally {
        await sut.close();
      }
    });
  });

  it('is refused by an encryption-required server when it speaks only 2.1', async () => {
    await expect(connect(encrypted!, [0x0210]).then((s) => s.openPipe('srvsvc').finally(() => s.close()))).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('maps a wrong password to AUTH_FAILED (STATUS_LOGON_FAILURE)', async () => {
    const s = signed!;
    await expect(
      SmbSession.connect({
        host: '127.0.0.1',
        port: s.port,
        serverName: 'PEERSRV',
        provider: provider(s, 'windows', 'not-the-password'),
        timeoutMs: 10_000,
      }),
    ).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      status: 0xc000006d,
      retryable: false,
    });
  });

  it('maps a pipe that does not exist to SMB_STATUS STATUS_OBJECT_NAME_NOT_FOUND (a stopped CertSvc looks like this)', async () => {
    const sut = await connect(signed!, [0x0311]);
    try {
      await expect(sut.openPipe('cert')).rejects.toMatchObject({
        code: 'SMB_STATUS',
        status: 0xc0000034,
      });
    } finally {
      await sut.close();
    }
  });
});
