/**
 * Issue 7's proof with third-party ACME clients against the real chain (acme-api → BullMQ →
 * wcce-worker → adcs-sim, from the built dist): the seed's EAB key file (four kids) through lego
 * and certbot, the `template=` User-Agent token, npm acme-client's `profile`, and an acme_srv.cfg
 * imported with enrollgate-import-a2c. What each template puts on a certificate is the
 * simulator's template definition (apps/adcs-sim/src/ca/templates.ts): WebServer = serverAuth,
 * 730 days; WebServerModified = serverAuth + clientAuth, 90 days; and every certificate names
 * its template in the v1 template-name extension (1.3.6.1.4.1.311.20.2, BMPString), as AD CS does.
 */
import 'reflect-metadata'; // @peculiar/x509 (the template-name extension) needs it loaded first
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvFile } from '@enrollgate/policy';
import * as x509 from '@peculiar/x509';
import acme from 'acme-client';
import { withDatabases } from '../../../test/support/databases.js';
import { AcmePolicy } from '../src/policy/acme-policy.js';
import { startHttp01Responder, type Http01Responder } from './support/http01-responder.js';
import {
  ROOT,
  freePort,
  legoHttp01,
  run,
  runLego,
  startInteropStack,
  startNode,
  verifyCertificate,
  waitReady,
  type InteropStack,
} from './support/interop-stack.js';

const databases = await withDatabases();
const database = databases[databases.length - 1]!; // PostgreSQL when reachable
const TIMEOUT = 300_000;
const P = 'urn:ietf:params:acme:error:';
const SEED_FILE = join(ROOT, 'libs/policy/testdata/kid_profiles.seed.json');
const SEED = JSON.parse(await readFile(SEED_FILE, 'utf8')) as Record<string, { hmac: string }>;

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** apps/adcs-sim/src/ca/templates.ts BUILTIN_TEMPLATES */
const TEMPLATES = {
  WebServer: { eku: [SERVER_AUTH], days: 730 },
  WebServerModified: { eku: [SERVER_AUTH, CLIENT_AUTH], days: 90 },
} as const;
type TemplateName = keyof typeof TEMPLATES;

/** The issued certificate as the simulator's template shaped it. */
async function templateOf(certFile: string): Promise<{ name: string; eku: string[]; days: number }> {
  const pem = await readFile(certFile, 'utf8');
  const leaf = new X509Certificate(pem);
  const ext = new x509.X509Certificate(leaf.raw).getExtension('1.3.6.1.4.1.311.20.2');
  // BMPString: tag 0x1e, short length, UTF-16BE
  const value = ext ? Buffer.from(ext.value) : Buffer.alloc(0);
  const name = value[0] === 0x1e ? Buffer.from(value.subarray(2)).swap16().toString('utf16le') : '';
  const days = Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000);
  return { name, eku: [...(leaf.keyUsage ?? [])].sort(), days };
}

async function expectTemplate(certFile: string, template: TemplateName): Promise<void> {
  expect(await templateOf(certFile)).toEqual({ name: template, eku: [...TEMPLATES[template].eku].sort(), days: TEMPLATES[template].days });
}

describe(`${AcmePolicy.name} with third-party clients`, () => {
  let stack: InteropStack;
  let directory: string;
  let httpPort: number;
  let policyDir: string;

  beforeAll(async () => {
    httpPort = await freePort();
    policyDir = await mkdtemp(join(tmpdir(), 'enrollgate-policy-interop-'));
    // the seed's key file, unchanged, next to the policy file that names it
    await copyFile(SEED_FILE, join(policyDir, 'kid_profiles.json'));
    await writeFile(
      join(policyDir, 'policy.json'),
      JSON.stringify({
        template: 'WebServer',
        header_info_list: ['HTTP_USER_AGENT'],
        profiles: { tls: { description: 'TLS server and client, 90 days', template: 'WebServerModified' } },
        eab_profiling: true,
        eab_key_file: 'kid_profiles.json',
      }),
    );
    stack = await startInteropStack(database, { env: { ACME_HTTP01_PORT: String(httpPort), ACME_POLICY_FILE: join(policyDir, 'policy.json') } });
    directory = stack.replicas[0]!.directoryUrl;
  }, TIMEOUT);
  afterAll(async () => {
    await stack?.close();
    await rm(policyDir, { recursive: true, force: true });
  }, TIMEOUT);

  async function lego(name: string, names: string[], args: string[], userAgent?: string) {
    const dir = join(stack.dir, `lego-${name}`);
    const res = await runLego({
      server: directory,
      email: 'policy@example.org',
      path: dir,
      flags: [...(userAgent ? ['--user-agent', userAgent] : []), ...args],
      challenge: legoHttp01(httpPort),
      domains: names,
    });
    await writeFile(`${dir}.log`, res.output);
    return { ...res, certFile: join(dir, 'certificates', `${names[0]}.crt`) };
  }

  async function certbot(name: string, domain: string, args: string[]) {
    const dir = join(stack.dir, `certbot-${name}`);
    const res = await run('certbot', [
      'certonly',
      '--standalone',
      '--http-01-address',
      '127.0.0.1',
      '--http-01-port',
      String(httpPort),
      '--server',
      directory,
      '-d',
      domain,
      '--register-unsafely-without-email',
      '--agree-tos',
      '--non-interactive',
      '--config-dir',
      `${dir}/config`,
      '--work-dir',
      `${dir}/work`,
      '--logs-dir',
      `${dir}/logs`,
      ...args,
    ]);
    await writeFile(`${dir}.log`, res.output);
    return { ...res, certFile: `${dir}/config/live/${domain}/cert.pem` };
  }

  const eab = (kid: string) => ['--eab', '--kid', kid, '--hmac', (SEED[kid] as { hmac: string }).hmac];

  // The seed's kids: keyid_00 lists [WebServerModified, WebServer] (no choice → the first),
  // keyid_01 forces WebServerModified, keyid_02 and keyid_03 set no template (→ the default).
  it.each([
    ['keyid_00', 'lego', 'WebServerModified'],
    ['keyid_01', 'certbot', 'WebServerModified'],
    ['keyid_02', 'lego', 'WebServer'],
    ['keyid_03', 'lego', 'WebServer'],
  ] as const)(
    '%s binds its account with EAB from %s and gets a %s certificate',
    async (kid, client, template) => {
      const domain = 'www.example.org'; // in every listed kid's allowed_domainlist
      const res =
        client === 'lego'
          ? await lego(kid, [domain], eab(kid))
          : await certbot(kid, domain, ['--eab-kid', kid, '--eab-hmac-key', (SEED[kid] as { hmac: string }).hmac]);
      expect(res.output).toMatch(client === 'lego' ? /Server responded with a certificate/ : /Successfully received certificate/);
      expect((await verifyCertificate(stack.caPemFile, res.certFile)).output).toMatch(/: OK/);
      await expectTemplate(res.certFile, template);
    },
    TIMEOUT,
  );

  it.each(['keyid_00', 'keyid_01', 'keyid_02'])(
    '%s is refused a name outside its allowed_domainlist with rejectedIdentifier',
    async (kid) => {
      const res = await lego(`${kid}-outside`, ['www.example.org', 'outside.example.net'], eab(kid));
      expect(res.output).not.toContain('Server responded with a certificate');
      expect(res.output).toContain(`${P}rejectedIdentifier`);
      expect(res.output).toContain('outside.example.net');
    },
    TIMEOUT,
  );

  it(
    'lego --user-agent "… template=WebServer" chooses WebServer from keyid_00\'s list',
    async () => {
      const res = await lego('ua-allowed', ['www.example.com'], eab('keyid_00'), 'policy-test/1.0 template=WebServer');
      expect(res.output).toContain('Server responded with a certificate');
      await expectTemplate(res.certFile, 'WebServer');
    },
    TIMEOUT,
  );

  it(
    'lego --user-agent "… template=User" is refused: the kid\'s profile does not list it',
    async () => {
      const res = await lego('ua-refused', ['www.example.com'], eab('keyid_00'), 'policy-test/1.0 template=User');
      expect(res.output).not.toContain('Server responded with a certificate');
      expect(res.output).toContain(`${P}unauthorized`);
      expect(res.output).toContain('template "User" is not allowed');
    },
    TIMEOUT,
  );

  it(
    'lego --user-agent with a template is refused for a kid whose profile sets none (acme2certifier: header_info field "template" is not allowed by profile)',
    async () => {
      const res = await lego('ua-no-template', ['www.example.com'], eab('keyid_02'), 'policy-test/1.0 template=WebServerModified');
      expect(res.output).toContain(`${P}unauthorized`);
      expect(res.output).toContain('header_info field "template" is not allowed by profile');
    },
    TIMEOUT,
  );

  it(
    'certbot --user-agent "… template=WebServer" chooses WebServer from keyid_00\'s list',
    async () => {
      const res = await certbot('ua', 'www.example.com', [
        '--eab-kid',
        'keyid_00',
        '--eab-hmac-key',
        (SEED['keyid_00'] as { hmac: string }).hmac,
        '--user-agent',
        'certbot-policy-test template=WebServer',
      ]);
      expect(res.output).toContain('Successfully received certificate');
      await expectTemplate(res.certFile, 'WebServer');
    },
    TIMEOUT,
  );

  describe('npm acme-client with the newOrder profile', () => {
    let responder: Http01Responder;
    const tokens = new Map<string, string>();
    beforeAll(async () => {
      responder = await startHttp01Responder(httpPort, (token) => tokens.get(token));
    });
    afterAll(() => responder.close());

    async function newClient(): Promise<acme.Client> {
      const client = new acme.Client({
        directoryUrl: directory,
        accountKey: await acme.crypto.createPrivateEcdsaKey('P-256'),
        backoffAttempts: 30,
        backoffMin: 200,
        backoffMax: 1000,
      });
      await client.createAccount({ termsOfServiceAgreed: true });
      return client;
    }

    it(
      'sends profile "tls" and gets its template, WebServerModified',
      async () => {
        const client = await newClient();
        const name = 'profile.acmejs.test';
        // createOrder passes the payload through: `profile` (draft-ietf-acme-profiles) reaches the server
        const order = await client.createOrder({ identifiers: [{ type: 'dns', value: name }], profile: 'tls' } as Parameters<acme.Client['createOrder']>[0]);
        expect((order as unknown as { profile?: string }).profile).toBe('tls');
        for (const authz of await client.getAuthorizations(order)) {
          const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
          tokens.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
          await client.completeChallenge(challenge);
          await client.waitForValidStatus(challenge);
        }
        const [, csr] = await acme.crypto.createCsr({ altNames: [name] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
        const finalized = await client.finalizeOrder(order, csr);
        const pem = await client.getCertificate(await client.waitForValidStatus(finalized));
        const file = join(stack.dir, 'acmejs-profile.pem');
        await writeFile(file, pem);
        expect((await verifyCertificate(stack.caPemFile, file)).sans).toEqual([name]);
        await expectTemplate(file, 'WebServerModified');
      },
      TIMEOUT,
    );

    it(
      'is refused an unknown profile with invalidProfile',
      async () => {
        const client = await newClient();
        const data = { identifiers: [{ type: 'dns', value: 'unknown-profile.acmejs.test' }], profile: 'nope' };
        await expect(client.createOrder(data as Parameters<acme.Client['createOrder']>[0])).rejects.toThrow('profile "nope" is not offered by this server');
        // acme-client's error carries the detail only; its own signed request shows the whole problem document
        const api = (
          client as unknown as {
            api: { apiResourceRequest(resource: string, payload: unknown, valid: number[]): Promise<{ status: number; data: Record<string, unknown> }> };
          }
        ).api;
        const raw = await api.apiResourceRequest('newOrder', data, []);
        expect([raw.status, raw.data['type']]).toEqual([400, `${P}invalidProfile`]);
      },
      TIMEOUT,
    );
  });
});

describe('acme-api and wcce-worker started on an imported acme_srv.cfg', () => {
  let stack: InteropStack;

  beforeAll(async () => {
    stack = await startInteropStack(database, { workers: 0, replicas: 0 });
  }, TIMEOUT);
  afterAll(async () => {
    await stack?.close();
  }, TIMEOUT);

  it(
    'issues lego a certificate with the [CAhandler] template, within its allowed_domainlist',
    async () => {
      // acme2certifier's docs/mswcce.md "Configuration" block (libs/policy/testdata/a2c), placeholders filled in for the simulator
      const documented = await readFile(join(ROOT, 'libs/policy/testdata/a2c/mswcce-doc-placeholders.cfg'), 'utf8');
      const cfg = documented
        .replace('<hostname>', stack.sim.host)
        .replace('<username>', stack.sim.user)
        .replace('<password>', stack.sim.password)
        .replace('<domain_name>', stack.sim.domain)
        .replace('<IP_of_domain_controller>', '127.0.0.1')
        .replace('<ca_name>', stack.sim.caName)
        .replace('<filename>', stack.caPemFile)
        .replace('<template_name>', 'WebServerModified');
      expect(cfg).not.toMatch(/<[a-z_]+>/);
      await writeFile(join(stack.dir, 'acme_srv.cfg'), cfg);
      const out = join(stack.dir, 'imported');
      const imported = await run(process.execPath, ['libs/policy/bin/enrollgate-import-a2c.js', join(stack.dir, 'acme_srv.cfg'), '--out', out]);
      await writeFile(join(stack.dir, 'import.log'), imported.output);
      expect(imported.code).toBe(0);
      expect(imported.output).not.toContain(stack.sim.password);
      const acmeEnv = parseEnvFile(await readFile(join(out, 'acme-api.env'), 'utf8'));
      const workerEnv = parseEnvFile(await readFile(join(out, 'wcce-worker.env'), 'utf8'));
      expect(acmeEnv['ACME_POLICY_FILE']).toBe(join(out, 'policy.json'));

      // what a deployment adds: where to listen, Redis, the database, DNS for validation
      const common = { REDIS_URL: stack.redis.url, QUEUE_PREFIX: stack.redis.prefix, LOG_LEVEL: 'warn' };
      const [workerPort, apiPort, httpPort] = await Promise.all([freePort(), freePort(), freePort()]);
      const worker = startNode(stack.dir, 'imported-wcce-worker', ['apps/wcce-worker/dist/main.js'], {
        ...workerEnv,
        ...common,
        WORKER_LISTEN: `127.0.0.1:${workerPort}`,
      });
      stack.procs.push(worker);
      await waitReady(worker, `http://127.0.0.1:${workerPort}/readyz`);
      const api = startNode(stack.dir, 'imported-acme-api', ['apps/acme-api/dist/main.js'], {
        ...acmeEnv,
        ...common,
        DATABASE_URL: stack.databaseUrl,
        ACME_LISTEN: `127.0.0.1:${apiPort}`,
        ACME_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
        ACME_DNS_SERVERS: stack.dnsServer,
        ACME_HTTP01_PORT: String(httpPort),
      });
      stack.procs.push(api);
      await waitReady(api, `http://127.0.0.1:${apiPort}/readyz`);

      const dir = join(stack.dir, 'lego-imported');
      const legoRun = (domain: string) =>
        runLego({
          server: `http://127.0.0.1:${apiPort}/directory`,
          email: 'import@example.org',
          path: dir,
          challenge: legoHttp01(httpPort),
          domains: [domain],
        });
      // [CAhandler] allowed_domainlist: ["example.com", "*.example2.com"]
      const refused = await legoRun('www.example3.com');
      expect(refused.output).toContain(`${P}rejectedIdentifier`);
      const issued = await legoRun('www.example2.com');
      await writeFile(`${dir}.log`, refused.output + issued.output);
      expect(issued.output).toContain('Server responded with a certificate');
      const certFile = join(dir, 'certificates', 'www.example2.com.crt');
      expect((await verifyCertificate(stack.caPemFile, certFile)).sans).toEqual(['www.example2.com']);
      await expectTemplate(certFile, 'WebServerModified');
    },
    TIMEOUT,
  );
});
