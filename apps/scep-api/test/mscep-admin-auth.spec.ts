/**
 * /certsrv/mscep_admin/ authentication on real Redis and SQLite/PostgreSQL (challenges live in the
 * store): NTLM and Negotiate (raw NTLMSSP) three-leg handshakes over one keep-alive connection with
 * libs/wcce's initiator (Windows style, with a MIC), a wrong password or a handshake split over two
 * connections → 401 and no challenge minted, Basic unchanged, SCEP_ADMIN_AUTH choosing the offers.
 * Third-party NTLM clients (curl --ntlm, python requests-ntlm) are in scep.interop.spec.ts.
 */
import { Agent, request } from 'node:http';
import { NtlmInitiatorContext } from '@enrollgate/wcce';
import { withDatabases } from '../../../test/support/databases.js';
import { ChallengeService } from '../src/challenges/challenge.service.js';
import { loadScepConfig } from '../src/config.js';
import { startInProcessScep, type InProcessScep } from './support/in-process.js';

const databases = await withDatabases();

interface Reply {
  status: number;
  wwwAuthenticate: string[];
  body: Buffer;
  localPort: number;
}

describe.each(databases)('mscep_admin authentication on $name', ({ open }) => {
  let api: InProcessScep;

  beforeAll(async () => {
    api = await startInProcessScep({ open, dirPrefix: 'eg-scep-admin-', admin: { user: 'fleet', password: 'Fl33t-Pa55!' }, caPath: false });
  });
  afterAll(() => api?.close());

  const get = (agent: Agent, authorization?: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: api.port, path: '/certsrv/mscep_admin/', agent, headers: authorization ? { authorization } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            // one header line per scheme, as IIS sends them (res.headers would join them)
            const wwwAuthenticate = res.rawHeaders.filter((_v, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === 'www-authenticate');
            resolve({
              status: res.statusCode ?? 0,
              wwwAuthenticate,
              body: Buffer.concat(chunks),
              localPort: req.socket?.localPort ?? -1,
            });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  const openChallenges = () => api.app.get(ChallengeService).repository.countOpen();
  const pageChallenge = (body: Buffer) => /The enrollment challenge password is: <B> (\S*)/.exec(body.subarray(2).toString('utf16le'))?.[1];

  /** NEGOTIATE → CHALLENGE → AUTHENTICATE, each on `agents[i]` (one agent = one keep-alive socket). */
  const handshake = async (scheme: 'NTLM' | 'Negotiate', password: string, agents: [Agent, Agent]) => {
    const initiator = new NtlmInitiatorContext({ credentials: { kind: 'ntlm', domain: 'CORP', user: 'fleet', password }, style: 'windows' });
    const negotiate = await initiator.step();
    const second = await get(agents[0], `${scheme} ${negotiate.output!.toString('base64')}`);
    expect(second.status).toBe(401);
    const token = second.wwwAuthenticate.find((h) => h.startsWith(`${scheme} `));
    expect(token).toBeDefined();
    const authenticate = await initiator.step(Buffer.from(token!.slice(scheme.length + 1), 'base64'));
    const third = await get(agents[1], `${scheme} ${authenticate.output!.toString('base64')}`);
    return { second, third };
  };

  it('an unauthenticated probe gets 401 offering Negotiate, NTLM and Basic (as IIS with Basic enabled)', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const r = await get(agent);
    agent.destroy();
    expect(r.status).toBe(401);
    expect(r.wwwAuthenticate).toEqual(['Negotiate', 'NTLM', 'Basic realm="mscep_admin"']);
  });

  it.each(['NTLM', 'Negotiate'] as const)('%s: the three legs on one keep-alive connection give the UTF-16LE page with a fresh challenge', async (scheme) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await openChallenges();
    const { second, third } = await handshake(scheme, 'Fl33t-Pa55!', [agent, agent]);
    agent.destroy();
    expect(third.status).toBe(200);
    expect(third.localPort).toBe(second.localPort);
    expect(pageChallenge(third.body)).toMatch(/^[0-9A-F]{16}$/);
    expect(await openChallenges()).toBe(before + 1);
  });

  it('NTLM with a wrong password → 401 with the bare offers, no challenge minted', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await openChallenges();
    const { third } = await handshake('NTLM', 'wrong-password', [agent, agent]);
    agent.destroy();
    expect(third.status).toBe(401);
    expect(third.wwwAuthenticate).toEqual(['Negotiate', 'NTLM', 'Basic realm="mscep_admin"']);
    expect(pageChallenge(third.body)).toBeUndefined();
    expect(await openChallenges()).toBe(before);
  });

  it('an AUTHENTICATE on another connection than its CHALLENGE is refused', async () => {
    const [a, b] = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    const before = await openChallenges();
    const { third } = await handshake('NTLM', 'Fl33t-Pa55!', [a, b]);
    a.destroy();
    b.destroy();
    expect(third.status).toBe(401);
    expect(await openChallenges()).toBe(before);
  });

  it('Basic still works (Fleet when only Basic is offered); a wrong Basic password mints nothing', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await openChallenges();
    const bad = await get(agent, 'Basic ' + Buffer.from('fleet:nope').toString('base64'));
    expect(bad.status).toBe(401);
    const ok = await get(agent, 'Basic ' + Buffer.from('CORP\\fleet:Fl33t-Pa55!').toString('base64'));
    agent.destroy();
    expect(ok.status).toBe(200);
    expect(pageChallenge(ok.body)).toMatch(/^[0-9A-F]{16}$/);
    expect(await openChallenges()).toBe(before + 1);
  });
});

describe('SCEP_ADMIN_AUTH', () => {
  it('chooses and orders the offered schemes; unknown names stop the start', () => {
    expect(loadScepConfig({ SCEP_ADMIN_AUTH: 'ntlm, basic' }).SCEP_ADMIN_AUTH).toEqual(['ntlm', 'basic']);
    expect(() => loadScepConfig({ SCEP_ADMIN_AUTH: 'kerberos' })).toThrow(/SCEP_ADMIN_AUTH/);
  });
});
