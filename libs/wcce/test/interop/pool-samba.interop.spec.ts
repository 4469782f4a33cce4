/**
 * IcprPool against a real Samba smbd (scripts/peers/samba-smbd.sh), pointed at `\pipe\srvsvc`
 * with `endpoint` (Samba has no `\pipe\cert`): association reuse, the per-target bound, reconnect
 * after smbd's per-connection process dies, and AUTH_FAILED not retried (one logon attempt).
 *
 * Run: ENROLLGATE_TEST_KIND=interop npm run test:unit -- libs/wcce/test/interop
 */
import { IcprPool, type IcprPoolOptions, type PoolCallInfo } from '../../src/client/icpr-pool.js';
import type { RpcPipeConnection } from '../../src/client/rpc-connection.js';
import { NtlmProvider } from '../../src/ntlm/index.js';
import type { SecurityProvider } from '../../src/security/provider.js';
import { SRVSVC, netrServerGetInfo } from '../../src/rpc-interfaces/srvsvc.js';
import { SAMBA_SERVER_NAME, SAMBA_WORKGROUP, childPids, startSamba, stopSamba, waitFor, type SambaPeer } from './samba-peer.js';

describe(`${IcprPool.name} against Samba smbd`, () => {
  let peer: SambaPeer | undefined;
  let sut: IcprPool | undefined;

  beforeAll(() => {
    peer = startSamba({ signing: 'mandatory' });
  });
  afterAll(() => stopSamba(peer));
  afterEach(async () => {
    await sut?.close();
    sut = undefined;
  });

  const target = () => ({ host: '127.0.0.1', port: peer!.port, serverName: SAMBA_SERVER_NAME });
  const pool = (options: Partial<IcprPoolOptions> = {}, password = peer!.password): IcprPool =>
    new IcprPool({
      provider: new NtlmProvider({ kind: 'ntlm', domain: SAMBA_WORKGROUP, user: peer!.user, password }),
      endpoint: { pipeName: 'srvsvc', syntax: SRVSVC },
      dialects: [0x0300],
      timeoutMs: 10_000,
      ...options,
    });
  const call = async (info?: PoolCallInfo): Promise<RpcPipeConnection> => {
    let used: RpcPipeConnection | undefined;
    const result = await sut!.withConnection(target(), info, async (conn) => {
      used = conn;
      return netrServerGetInfo(conn.rpc);
    });
    expect(result.name).toBe(SAMBA_SERVER_NAME);
    return used!;
  };
  /** smbd forks one child per TCP connection; its other children (notifyd, cleanupd) stay put. */
  const smbdChildren = (): Set<number> => new Set(childPids(peer!.pid));

  it('reuses the association: the second call does not connect', async () => {
    sut = pool();
    const first: PoolCallInfo = { connected: false };
    const second: PoolCallInfo = { connected: true };
    const a = await call(first);
    const b = await call(second);
    expect([first.connected, second.connected]).toEqual([true, false]);
    expect(b).toBe(a);
    expect(a.rpc.bound?.authLevel).toBe(6);
  });

  it('bounds concurrency per target: 8 calls at once over at most 2 SMB connections', async () => {
    sut = pool({ maxConnectionsPerTarget: 2 });
    const before = smbdChildren();
    const infos = Array.from({ length: 8 }, (): PoolCallInfo => ({ connected: false }));
    const conns = await Promise.all(infos.map((i) => call(i)));
    expect(new Set(conns).size).toBe(2);
    expect(infos.filter((i) => i.connected)).toHaveLength(2);
    expect([...smbdChildren()].filter((p) => !before.has(p))).toHaveLength(2);
    expect(sut.stats()[0]).toMatchObject({ idle: 2, active: 0, waiting: 0 });
  });

  it('reconnects after the smbd process serving the association is killed', async () => {
    sut = pool();
    const before = smbdChildren();
    const first = await call();
    const ours = [...smbdChildren()].filter((p) => !before.has(p));
    expect(ours).toHaveLength(1);
    process.kill(ours[0]!, 'SIGKILL'); // smbd's child for our connection: a server that died
    expect(await waitFor(() => !first.usable, 5000)).toBe(true);
    const info: PoolCallInfo = { connected: false };
    const again = await call(info);
    expect(info.connected).toBe(true);
    expect(again).not.toBe(first);
  });

  it('does not retry AUTH_FAILED: one logon attempt against smbd, a permanent error', async () => {
    const ntlm = new NtlmProvider({ kind: 'ntlm', domain: SAMBA_WORKGROUP, user: peer!.user, password: 'not-the-password' });
    const logons: string[] = [];
    // Counts the security contexts the pool asks for: one per SESSION_SETUP (or RPC bind) attempt.
    const counting: SecurityProvider = {
      mechanism: ntlm.mechanism,
      rpcAuthType: ntlm.rpcAuthType,
      cacheKey: ntlm.cacheKey,
      createContext: (purpose, target) => {
        logons.push(purpose);
        return ntlm.createContext(purpose, target);
      },
    };
    sut = pool({ provider: counting });
    await expect(call()).rejects.toMatchObject({ code: 'AUTH_FAILED', retryable: false, status: 0xc000006d });
    expect(logons).toEqual(['smb']);
    expect(sut.stats()[0]).toMatchObject({ idle: 0, active: 0, waiting: 0 });
  });
});
