import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RpcInterfaceRegistry } from '../dcerpc/registry.js';
import { RpcServerConnection } from '../dcerpc/server.js';
import { NtlmAcceptorContext, NtlmProvider, ntHash } from '../ntlm/index.js';
import { SRVSVC, encodeNetrServerGetInfoResponse, netrServerGetInfo, type ServerInfo101 } from '../rpc-interfaces/srvsvc.js';
import { RpcAuthLevel, RpcAuthType } from '../security/provider.js';
import type { PipeOpenInfo } from '../smb2/server/connection.js';
import { SmbServer } from '../smb2/server/server.js';
import { MechOid, SpnegoContext } from '../spnego/index.js';
import { IcprPool, type IcprPoolOptions, type PoolCallInfo } from './icpr-pool.js';
import type { RpcPipeConnection } from './rpc-connection.js';

/**
 * IcprPool over the real stack on both ends: our SmbServer with an NTLM/SPNEGO acceptor serving a
 * sealed srvsvc (RpcServerConnection at PKT_PRIVACY) on loopback, the pool pointed at it with
 * `endpoint` (the same calls the benchmark makes against Samba).
 */
const PASSWORD = 'Passw0rd!';
const USER = 'svc-enroll';
const SERVER_INFO: ServerInfo101 = { platformId: 500, name: 'CA01', versionMajor: 10, versionMinor: 0, type: 0x9003, comment: 'pool test' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Our SMB server with a sealed srvsvc, counting what the pool makes it do. */
class SrvsvcServer {
  readonly opens: PipeOpenInfo[] = [];
  /** SESSION_SETUP exchanges started (one per new SMB session: a logon attempt against the account). */
  sessionSetups = 0;
  inFlight = 0;
  maxInFlight = 0;
  delayMs = 0;
  private readonly server: SmbServer;

  constructor() {
    const hash = ntHash(PASSWORD);
    const ntlm = (): NtlmAcceptorContext =>
      new NtlmAcceptorContext({
        lookupUser: (user) => (user.toLowerCase() === USER ? hash : undefined),
        netbiosDomain: 'TEST',
        netbiosComputer: 'CA01',
        dnsDomain: 'test.local',
        dnsComputer: 'ca01.test.local',
      });
    const registry = new RpcInterfaceRegistry().register({
      syntax: SRVSVC,
      opnumCount: 22,
      handler: async () => {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          if (this.delayMs > 0) await sleep(this.delayMs);
          return encodeNetrServerGetInfoResponse(SERVER_INFO);
        } finally {
          this.inFlight--;
        }
      },
    });
    this.server = new SmbServer({
      createAcceptor: () => {
        this.sessionSetups++;
        return new SpnegoContext({ role: 'acceptor', mech: MechOid.NTLMSSP, inner: ntlm() });
      },
      pipes: {
        srvsvc: (info) => {
          this.opens.push(info);
          return new RpcServerConnection({
            registry,
            acceptor: (authType) => (authType === RpcAuthType.WINNT ? ntlm() : undefined),
            minAuthLevel: RpcAuthLevel.PKT_PRIVACY,
          });
        },
      },
    });
  }

  listen(): Promise<AddressInfo> {
    return this.server.listen();
  }

  get port(): number {
    return this.server.port;
  }

  get connectionCount(): number {
    return this.server.connectionCount;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

describe(IcprPool.name, () => {
  let server: SrvsvcServer;
  let sut: IcprPool;

  const target = (): { host: string; port: number; serverName: string } => ({ host: '127.0.0.1', port: server.port, serverName: 'ca01.test.local' });
  const pool = (options: Partial<IcprPoolOptions> = {}, password = PASSWORD): IcprPool =>
    new IcprPool({
      provider: new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: USER, password }),
      endpoint: { pipeName: 'srvsvc', syntax: SRVSVC },
      dialects: [0x0311],
      timeoutMs: 5000,
      ...options,
    });
  /** One NetrServerGetInfo through the pool; reports which association served it. */
  const call = async (info?: PoolCallInfo): Promise<{ result: ServerInfo101; conn: RpcPipeConnection }> => {
    let used: RpcPipeConnection | undefined;
    const result = await sut.withConnection(target(), info, (conn) => {
      used = conn;
      return netrServerGetInfo(conn.rpc);
    });
    return { result, conn: used! };
  };

  beforeEach(async () => {
    server = new SrvsvcServer();
    await server.listen();
  });

  afterEach(async () => {
    await sut?.close();
    await server.close();
  });

  it('reuses one association (SMB session, pipe, sealed binding) for sequential calls', async () => {
    sut = pool();
    const first: PoolCallInfo = { connected: false };
    const second: PoolCallInfo = { connected: true };
    const a = await call(first);
    const b = await call(second);
    expect(a.result).toEqual(SERVER_INFO);
    expect(b.result).toEqual(SERVER_INFO);
    expect(first.connected).toBe(true);
    expect(second.connected).toBe(false);
    expect(b.conn).toBe(a.conn);
    expect(a.conn.rpc.bound?.authLevel).toBe(RpcAuthLevel.PKT_PRIVACY);
    expect(server.sessionSetups).toBe(1);
    expect(server.opens).toHaveLength(1);
    expect(sut.stats()).toEqual([expect.objectContaining({ idle: 1, active: 0, waiting: 0 })]);
  });

  it('bounds concurrency per target: 6 calls at once over at most 2 associations', async () => {
    sut = pool({ maxConnectionsPerTarget: 2 });
    server.delayMs = 40;
    const infos = Array.from({ length: 6 }, (): PoolCallInfo => ({ connected: false }));
    const pending = infos.map((info) => call(info));
    await sleep(10);
    expect(sut.stats()[0]).toMatchObject({ active: 2, waiting: 4 });
    const results = await Promise.all(pending);
    expect(results.map((r) => r.result)).toEqual(Array(6).fill(SERVER_INFO));
    expect(server.maxInFlight).toBe(2);
    expect(new Set(results.map((r) => r.conn)).size).toBe(2);
    expect(infos.filter((i) => i.connected)).toHaveLength(2);
    expect(server.sessionSetups).toBe(2);
    expect(sut.stats()[0]).toMatchObject({ idle: 2, active: 0, waiting: 0 });
  });

  it('reconnects after the server drops the connection', async () => {
    sut = pool();
    const first = await call({ connected: false });
    expect(server.connectionCount).toBe(1);
    // The server drops the client's TCP connection while the association sits idle in the pool.
    server.opens[0]!.disconnect();
    await waitFor(() => server.connectionCount === 0 && !first.conn.usable, 2000);
    const info: PoolCallInfo = { connected: false };
    const again = await call(info);
    expect(again.result).toEqual(SERVER_INFO);
    expect(info.connected).toBe(true);
    expect(again.conn).not.toBe(first.conn);
    expect(server.sessionSetups).toBe(2);
  });

  it('discards an association that failed mid-call, and the next call reconnects', async () => {
    sut = pool();
    await call();
    server.delayMs = 200;
    const inFlight = call();
    await sleep(50);
    server.opens[0]!.disconnect();
    await expect(inFlight).rejects.toMatchObject({ code: 'TRANSPORT', retryable: true });
    server.delayMs = 0;
    const info: PoolCallInfo = { connected: false };
    await expect(call(info).then((r) => r.result)).resolves.toEqual(SERVER_INFO);
    expect(info.connected).toBe(true);
    expect(sut.stats()[0]).toMatchObject({ idle: 1, active: 0 });
  });

  it('does not retry an AUTH_FAILED: one logon attempt, a permanent error, nothing pooled', async () => {
    sut = pool({}, 'not-the-password');
    await expect(call()).rejects.toMatchObject({ name: 'WcceError', code: 'AUTH_FAILED', retryable: false, status: 0xc000006d });
    expect(server.sessionSetups).toBe(1);
    expect(server.opens).toHaveLength(0);
    expect(sut.stats()[0]).toMatchObject({ idle: 0, active: 0, waiting: 0 });
  });

  describe('against a server that accepts TCP but never answers', () => {
    let silent: Server;
    const sockets = new Set<Socket>();

    beforeEach(async () => {
      silent = createServer((s) => {
        sockets.add(s);
        s.resume(); // read and discard (a paused socket would never notice the client's FIN)
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    });

    afterEach(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });

    const silentTarget = () => ({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port });

    it('fails the call with TIMEOUT at the call deadline and frees the slot', async () => {
      sut = pool({ callDeadlineMs: 300, timeoutMs: 1000, maxConnectionsPerTarget: 1 });
      const started = Date.now();
      await expect(sut.withConnection(silentTarget(), undefined, (c) => netrServerGetInfo(c.rpc))).rejects.toMatchObject({
        name: 'WcceError',
        code: 'TIMEOUT',
        retryable: true,
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(2000);
      // The slot is free again: the next call gets its own deadline, not a wait behind a dead one.
      expect(sut.stats()[0]).toMatchObject({ active: 0, waiting: 0, idle: 0 });
      await expect(sut.withConnection(silentTarget(), undefined, (c) => netrServerGetInfo(c.rpc))).rejects.toMatchObject({ code: 'TIMEOUT' });
      // The abandoned connects are not leaked: each is dropped by its own SMB `timeoutMs`.
      expect(sockets.size).toBe(2);
      await waitFor(() => sockets.size === 0, 3000);
      expect(sockets.size).toBe(0);
    });

    it('fails with TIMEOUT when one SMB exchange outlasts `timeoutMs` (acme2certifier `timeout`)', async () => {
      sut = pool({ callDeadlineMs: 30_000, timeoutMs: 250 });
      const started = Date.now();
      await expect(sut.withConnection(silentTarget(), undefined, (c) => netrServerGetInfo(c.rpc))).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
      expect(Date.now() - started).toBeLessThan(2000);
      await waitFor(() => sockets.size === 0, 2000);
      expect(sockets.size).toBe(0); // the client dropped the connection whose message window is in doubt
    });
  });
});

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await sleep(10);
}
