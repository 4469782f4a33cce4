/**
 * Third-party ACME clients against the real chain: acme-api → queue → wcce-worker → adcs-sim,
 * all started from the built dist. Each certificate verifies with `openssl verify` against the
 * simulator's CA and carries exactly the ordered names.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import acme from 'acme-client';
import { withDatabases } from '../../../test/support/databases.js';
import { AcmeServer } from '../src/acme/acme-server.js';
import { AcmeTestClient, makeCsr } from './support/acme-test-client.js';
import { startHttp01Responder, type Http01Responder } from './support/http01-responder.js';
import { EAB_HMAC, EAB_KID, ROOT, freePort, run, runLego, startInteropStack, verifyCertificate, type InteropStack } from './support/interop-stack.js';

const databases = await withDatabases();
const database = databases[databases.length - 1]!; // PostgreSQL when reachable
const TIMEOUT = 300_000;

describe(`${AcmeServer.name} with third-party clients`, () => {
  let stack: InteropStack;
  let directory: string;
  let httpPort: number;
  let tlsPort: number;

  beforeAll(async () => {
    httpPort = await freePort();
    tlsPort = await freePort();
    stack = await startInteropStack(database, { env: { ACME_HTTP01_PORT: String(httpPort), ACME_TLSALPN01_PORT: String(tlsPort) } });
    directory = stack.replicas[0]!.directoryUrl;
  }, TIMEOUT);
  afterAll(async () => {
    await stack?.close();
  }, TIMEOUT);

  async function expectCertificate(file: string, names: string[]): Promise<void> {
    const result = await verifyCertificate(stack.caPemFile, file);
    expect(result.output).toMatch(/: OK/);
    expect(result.sans.sort()).toEqual([...names].sort());
  }

  it.each([
    ['without EAB', 'certbot1.test', []],
    ['with EAB', 'certbot-eab.test', ['--eab-kid', EAB_KID, '--eab-hmac-key', EAB_HMAC]],
  ])(
    'certbot obtains a certificate with http-01 %s',
    async (_what, name, eab) => {
      const dir = join(stack.dir, `certbot-${name}`);
      const names = [name, `www.${name}`];
      const res = await run('certbot', [
        'certonly',
        '--standalone',
        '--http-01-address',
        '127.0.0.1',
        '--http-01-port',
        String(httpPort),
        '--server',
        directory,
        ...names.flatMap((n) => ['-d', n]),
        '--register-unsafely-without-email',
        '--agree-tos',
        '--non-interactive',
        '--config-dir',
        `${dir}/config`,
        '--work-dir',
        `${dir}/work`,
        '--logs-dir',
        `${dir}/logs`,
        ...eab,
      ]);
      expect(res.output).toContain('Successfully received certificate');
      await expectCertificate(`${dir}/config/live/${name}/cert.pem`, names);
    },
    TIMEOUT,
  );

  it.each([
    ['http-01 without EAB', 'lego1.test', ['--http', '--http.port', `127.0.0.1:HTTP`], {}],
    ['http-01 with EAB', 'lego-eab.test', ['--eab', '--kid', EAB_KID, '--hmac', EAB_HMAC, '--http', '--http.port', `127.0.0.1:HTTP`], {}],
    ['tls-alpn-01', 'lego-alpn.test', ['--tls', '--tls.port', `127.0.0.1:TLS`], {}],
    [
      'dns-01 against pebble-challtestsrv',
      'lego-dns.test',
      ['--dns', 'exec', '--dns.resolvers', 'DNS', '--dns.disable-cp'],
      { EXEC_PATH: join(ROOT, 'scripts/peers/lego-dns-exec.sh'), EXEC_PROPAGATION_TIMEOUT: '20', EXEC_POLLING_INTERVAL: '1', EXEC_SEQUENCE_INTERVAL: '1' },
    ],
  ])(
    'lego obtains a certificate with %s',
    async (what, name, args, env) => {
      const dir = join(stack.dir, `lego-${name}`);
      const names = what.startsWith('dns-01') ? [name, `*.${name}`] : [name];
      const resolved = args.map((a) => a.replace('HTTP', String(httpPort)).replace('TLS', String(tlsPort)).replace(/^DNS$/, stack.dnsServer));
      const res = await runLego({
        server: directory,
        email: 'peers@example.org',
        path: dir,
        challenge: resolved,
        domains: names,
        env: { ...env, CHALLTESTSRV_MANAGEMENT: stack.challtestsrvManagement },
      });
      await writeFile(`${dir}.log`, res.output);
      expect(res.output).toContain('Server responded with a certificate');
      const file = join(dir, 'certificates', `${name.replace('*', '_')}.crt`);
      // lego writes the leaf followed by the issuer; openssl verifies the first certificate.
      await expectCertificate(file, names);
    },
    TIMEOUT,
  );

  describe('npm acme-client', () => {
    let responder: Http01Responder;
    const tokens = new Map<string, string>();
    beforeAll(async () => {
      responder = await startHttp01Responder(httpPort, (token) => tokens.get(token));
    });
    afterAll(() => responder.close());

    it.each([
      ['without EAB', 'acmejs.test', undefined],
      ['with EAB', 'acmejs-eab.test', { kid: EAB_KID, hmacKey: EAB_HMAC }],
    ])(
      'obtains a certificate with http-01 %s',
      async (_what, name, eab) => {
        const client = new acme.Client({
          directoryUrl: directory,
          accountKey: await acme.crypto.createPrivateEcdsaKey('P-256'),
          ...(eab ? { externalAccountBinding: eab } : {}),
          backoffAttempts: 30,
          backoffMin: 200,
          backoffMax: 1000,
        });
        const [, csr] = await acme.crypto.createCsr({ altNames: [name, `api.${name}`] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
        const pem = await client.auto({
          csr,
          termsOfServiceAgreed: true,
          challengePriority: ['http-01'],
          skipChallengeVerification: true,
          challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
            tokens.set(challenge.token, keyAuthorization);
          },
          challengeRemoveFn: async (_authz, challenge) => {
            tokens.delete(challenge.token);
          },
        });
        const file = join(stack.dir, `${name}.pem`);
        await writeFile(file, pem);
        await expectCertificate(file, [name, `api.${name}`]);
      },
      TIMEOUT,
    );
  });

  it(
    'keeps a ManagerApproval order processing until approved through the simulator admin API, then issues',
    async () => {
      const client = await new AcmeTestClient(directory, stack.publicBase).init();
      await client.newAccount();
      const order = await client.newOrder([{ type: 'dns', value: 'approval.test' }], { profile: 'approval' });
      expect(order.body['profile']).toBe('approval');
      const responder = await startHttp01Responder(httpPort, (token) => client.keyAuthorization(token));
      try {
        const authzUrl = (order.body['authorizations'] as string[])[0] as string;
        const challenge = ((await client.post(authzUrl, '')).body['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
        await client.post(challenge.url, {});
        expect((await client.pollUntil(authzUrl, ['pending'])).body['status']).toBe('valid');
      } finally {
        await responder.close();
      }
      const finalized = await client.post(order.body['finalize'] as string, { csr: (await makeCsr(['approval.test'])).toString('base64url') });
      expect(finalized.body['status']).toBe('processing');
      expect(finalized.headers.get('retry-after')).toBe('1');
      const orderUrl = finalized.headers.get('location') as string;
      // Still processing while the request waits at the CA.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await client.post(orderUrl, '')).body['status']).toBe('processing');
      const pending = (await (await fetch(`${stack.simAdmin}/requests?status=pending`)).json()) as { requests: { requestId: number }[] };
      expect(pending.requests).toHaveLength(1);
      const approved = await fetch(`${stack.simAdmin}/requests/${pending.requests[0]!.requestId}/approve`, { method: 'POST' });
      expect(approved.status).toBe(200);
      const valid = await client.pollUntil(orderUrl, ['processing'], 120_000);
      expect(valid.body['status']).toBe('valid');
      const pem = (await client.post(valid.body['certificate'] as string, '')).text;
      const file = join(stack.dir, 'approval.pem');
      await writeFile(file, pem);
      await expectCertificate(file, ['approval.test']);
    },
    TIMEOUT,
  );
});
