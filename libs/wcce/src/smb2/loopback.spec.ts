import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { WcceError } from '../errors.js';
import { SmbSession, type SmbSessionOptions } from './client/session.js';
import { Smb2Command, type Smb2Dialect } from './constants.js';
import { frame } from './framing.js';
import { SmbServer, type SmbServerOptions } from './server/server.js';
import { FakeAcceptor, fakeProvider } from './testing/fake-security.js';
import { ScriptedPipe } from './testing/test-pipes.js';

const USERS = { alice: 'Passw0rd!' };
const DIALECTS: [string, Smb2Dialect][] = [
  ['2.0.2', 0x0202],
  ['2.1', 0x0210],
  ['3.0', 0x0300],
  ['3.0.2', 0x0302],
  ['3.1.1', 0x0311],
];

async function startServer(overrides: Partial<SmbServerOptions> = {}): Promise<{ sut: SmbServer; opened: ScriptedPipe[]; warnings: string[] }> {
  const opened: ScriptedPipe[] = [];
  const warnings: string[] = [];
  const sut = new SmbServer({
    createAcceptor: () => new FakeAcceptor(USERS),
    pipes: {
      cert: () => {
        const p = new ScriptedPipe();
        opened.push(p);
        return p;
      },
      slow: () => new ScriptedPipe(undefined, 400),
      big: () => new ScriptedPipe((pdu) => Buffer.alloc(150_000, pdu[0] ?? 1)),
    },
    pendingReadWaitMs: 50,
    logger: { warn: (_f, m) => warnings.push(m) },
    ...overrides,
  });
  await sut.listen();
  return { sut, opened, warnings };
}

function client(port: number, extra: Partial<SmbSessionOptions> = {}): Promise<SmbSession> {
  return SmbSession.connect({
    host: '127.0.0.1',
    port,
    serverName: 'ca01.test.local',
    provider: fakeProvider('alice', 'Passw0rd!'),
    timeoutMs: 5000,
    ...extra,
  });
}

describe(`${SmbSession.name} against ${SmbServer.name} over loopback`, () => {
  describe.each(DIALECTS)('dialect %s, signing required', (_name, dialect) => {
    let server: Awaited<ReturnType<typeof startServer>>;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(() => server.sut.close());

    it('authenticates, opens \\pipe\\cert, transacts and writes/reads, then closes cleanly', async () => {
      const sut = await client(server.sut.port, { dialects: [dialect] });
      expect(sut.dialect).toBe(dialect);
      expect(sut.encrypted).toBe(false);
      const pipe = await sut.openPipe('cert');
      expect((await pipe.transact(Buffer.from('bind'))).toString()).toBe('ACK:bind');
      await pipe.write(Buffer.from('request'));
      expect((await pipe.read()).toString()).toBe('ACK:request');
      await sut.echo();
      await sut.close();
      expect(server.opened.at(-1)?.closed).toBe(true);
    });
  });

  describe.each(DIALECTS.slice(2))('dialect %s, encryption required', (_name, dialect) => {
    let server: Awaited<ReturnType<typeof startServer>>;
    beforeAll(async () => {
      server = await startServer({ encryption: 'required' });
    });
    afterAll(() => server.sut.close());

    it('encrypts the session and still talks to the pipe', async () => {
      const sut = await client(server.sut.port, { dialects: [dialect] });
      expect(sut.encrypted).toBe(true);
      const pipe = await sut.openPipe('cert');
      expect((await pipe.transact(Buffer.from('x'))).toString()).toBe('ACK:x');
      await sut.close();
    });
  });

  describe('behaviour', () => {
    let server: Awaited<ReturnType<typeof startServer>>;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(() => server.sut.close());

    it('maps a wrong password to AUTH_FAILED (STATUS_LOGON_FAILURE), not retryable', async () => {
      const err = await client(server.sut.port, {
        provider: fakeProvider('alice', 'wrong'),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WcceError);
      expect(err).toMatchObject({
        code: 'AUTH_FAILED',
        status: 0xc000006d,
        retryable: false,
      });
    });

    it('answers STATUS_OBJECT_NAME_NOT_FOUND for a pipe it does not serve', async () => {
      const sut = await client(server.sut.port);
      await expect(sut.openPipe('nosuch')).rejects.toMatchObject({
        code: 'SMB_STATUS',
        status: 0xc0000034,
      });
      await sut.close();
    });

    it('completes a READ that had to wait with an interim STATUS_PENDING', async () => {
      const sut = await client(server.sut.port);
      const pipe = await sut.openPipe('\\pipe\\slow');
      await pipe.write(Buffer.from('late'));
      const t0 = Date.now();
      expect((await pipe.read()).toString()).toBe('ACK:late');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
      await sut.close();
    });

    it('reassembles a reply larger than one READ/IOCTL across STATUS_BUFFER_OVERFLOW', async () => {
      const sut = await client(server.sut.port);
      const pipe = await sut.openPipe('big');
      await pipe.write(Buffer.of(7));
      const viaRead = await pipe.read();
      expect(viaRead).toHaveLength(150_000);
      expect(viaRead.every((b) => b === 7)).toBe(true);
      const viaTransact = await pipe.transact(Buffer.of(9));
      expect(viaTransact).toHaveLength(150_000);
      await sut.close();
    });

    it('serves many concurrent connections', async () => {
      const sessions = await Promise.all(Array.from({ length: 16 }, () => client(server.sut.port)));
      const replies = await Promise.all(
        sessions.map(async (s, i) => {
          const pipe = await s.openPipe('cert');
          return (await pipe.transact(Buffer.from(`n${i}`))).toString();
        }),
      );
      expect(replies).toEqual(sessions.map((_s, i) => `ACK:n${i}`));
      await Promise.all(sessions.map((s) => s.close()));
    });

    it.each([
      ['a NetBIOS session request', Buffer.from('81000044' + '20'.repeat(68), 'hex')],
      ['an oversized frame length', Buffer.from('00ffffff' + '00'.repeat(16), 'hex')],
      ['a frame that is not SMB', frame(Buffer.from('this is not an SMB2 message at all, not even close.............'))],
      ['an SMB2 response sent to the server', frame(Buffer.concat([Buffer.from('fe534d424000', 'hex'), Buffer.alloc(58, 1)]))],
    ])('drops a connection that sends %s, and keeps serving others', async (_name, bytes) => {
      const closed = await new Promise<boolean>((resolve) => {
        const s: Socket = netConnect(server.sut.port, '127.0.0.1', () => s.write(bytes));
        s.on('close', () => resolve(true));
        s.on('error', () => undefined);
        setTimeout(() => {
          s.destroy();
          resolve(false);
        }, 2000).unref();
      });
      expect(closed).toBe(true);
      const sut = await client(server.sut.port);
      await sut.close();
    });

    it('answers a truncated request body with STATUS_INVALID_PARAMETER without dropping the connection', async () => {
      // A NEGOTIATE with a DialectCount but no dialects: body decoding fails, the header was fine.
      const header = Buffer.alloc(64);
      header.writeUInt32LE(0x424d53fe, 0);
      header.writeUInt16LE(64, 4);
      header.writeUInt16LE(Smb2Command.NEGOTIATE, 12);
      const body = Buffer.from('2400050001000000000000000000000000000000000000000000000000000000', 'hex');
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const s: Socket = netConnect(server.sut.port, '127.0.0.1', () => s.write(frame(Buffer.concat([header, body]))));
        s.once('data', (d: Buffer) => {
          s.destroy();
          resolve(d);
        });
        s.on('error', reject);
      });
      expect(reply.readUInt32LE(4 + 8)).toBe(0xc000000d);
    });
  });
});

describe(`${SmbSession.name} failure modes`, () => {
  let fake: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (fake ? fake.close(() => r()) : r()));
    fake = undefined;
  });

  async function fakeServer(onData: (s: Socket, d: Buffer) => void): Promise<number> {
    fake = createServer((s) => {
      s.on('data', (d) => onData(s, d));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', () => r()));
    return (fake.address() as { port: number }).port;
  }

  it('reports a refused connection as TRANSPORT', async () => {
    const port = await fakeServer(() => undefined);
    await new Promise<void>((r) => fake!.close(() => r()));
    fake = undefined;
    await expect(client(port)).rejects.toMatchObject({ code: 'TRANSPORT' });
  });

  it('times out an exchange the server never answers (TIMEOUT)', async () => {
    const port = await fakeServer(() => undefined);
    await expect(client(port, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });

  it('reports garbage from the server as PROTOCOL', async () => {
    const port = await fakeServer((s) => s.write(frame(Buffer.from('garbage garbage garbage garbage garbage garbage garbage garbage!'))));
    await expect(client(port)).rejects.toMatchObject({ code: 'PROTOCOL' });
  });

  it('reports a connection closed mid-exchange as TRANSPORT', async () => {
    const port = await fakeServer((s) => s.destroy());
    await expect(client(port)).rejects.toMatchObject({ code: 'TRANSPORT' });
  });

  it('refuses a tampered signature on a response with INTEGRITY', async () => {
    const { sut: server } = await startServer();
    try {
      // A proxy that flips one signature byte of every TREE_CONNECT response.
      const port = await fakeServer((s, d) => {
        void s;
        void d;
      });
      await new Promise<void>((r) => fake!.close(() => r()));
      fake = createServer((downstream) => {
        const upstream = netConnect(server.port, '127.0.0.1');
        downstream.on('data', (d) => upstream.write(d));
        upstream.on('data', (d: Buffer) => {
          if (d.length >= 68 && d.readUInt16LE(4 + 12) === Smb2Command.TREE_CONNECT) d[4 + 50] ^= 0xff;
          downstream.write(d);
        });
        const end = (): void => {
          upstream.destroy();
          downstream.destroy();
        };
        downstream.on('close', end);
        upstream.on('close', end);
        downstream.on('error', () => undefined);
        upstream.on('error', () => undefined);
      });
      await new Promise<void>((r) => fake!.listen(port, '127.0.0.1', () => r()));
      const sut = await client(port, { dialects: [0x0311] });
      await expect(sut.openPipe('cert')).rejects.toMatchObject({
        code: 'INTEGRITY',
      });
      await sut.close();
    } finally {
      await server.close();
    }
  });
});
