/**
 * acme-api as deployed: HTTPS with a public base URL whose host name differs from the address
 * the client first connects to (as behind an ingress), and two replicas with two workers sharing
 * Redis and the database while one client's requests alternate between the replicas.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCsr, certificatePem, createRootCa, exportPrivateKeyPem, generateKeyPair } from '@enrollgate/pki';
import { withDatabases } from '../../../test/support/databases.js';
import { AcmeServer } from '../src/acme/acme-server.js';
import { AcmeTestClient, makeCsr } from './support/acme-test-client.js';
import { startHttp01Responder, type Http01Responder } from './support/http01-responder.js';
import { freePort, legoHttp01, run, runLego, startInteropStack, verifyCertificate, type InteropStack } from './support/interop-stack.js';

const databases = await withDatabases();
const database = databases[databases.length - 1]!;
const TIMEOUT = 300_000;

describe(`${AcmeServer.name} deployed`, () => {
  describe('over HTTPS behind a public name', () => {
    let stack: InteropStack;
    let httpPort: number;
    let tlsDir: string;

    beforeAll(async () => {
      httpPort = await freePort();
      // A server certificate for the public name (localhost) from a throw-away CA.
      const ca = await createRootCa({ subject: 'CN=acme-api test TLS CA', key: 'p256' });
      const keys = await generateKeyPair('p256');
      const issued = await ca.issue({
        csr: (
          await buildCsr({
            subject: 'CN=localhost',
            keys,
            sans: [
              { type: 'dns', value: 'localhost' },
              { type: 'ip', value: '127.0.0.1' },
            ],
          })
        ).der,
        validityDays: 1,
        keyUsages: ['digitalSignature'],
        extendedKeyUsages: ['1.3.6.1.5.5.7.3.1'],
      });
      const { mkdtemp } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      tlsDir = await mkdtemp(join(tmpdir(), 'acme-tls-'));
      await writeFile(join(tlsDir, 'cert.pem'), issued.pem);
      await writeFile(join(tlsDir, 'key.pem'), await exportPrivateKeyPem(keys.privateKey));
      await writeFile(join(tlsDir, 'ca.pem'), certificatePem(ca.certificate));
      stack = await startInteropStack(database, {
        env: { ACME_HTTP01_PORT: String(httpPort) },
        https: { certFile: join(tlsDir, 'cert.pem'), keyFile: join(tlsDir, 'key.pem') },
        publicBase: (ports) => `https://localhost:${ports[0]}`,
      });
    }, TIMEOUT);
    afterAll(async () => {
      await stack?.close();
    }, TIMEOUT);

    it(
      'serves lego over HTTPS: the directory fetched from 127.0.0.1 names https://localhost, and every JWS url checks against it',
      async () => {
        const directoryAt127 = stack.replicas[0]!.directoryUrl;
        expect(directoryAt127).toMatch(/^https:\/\/127\.0\.0\.1:/);
        const dir = join(stack.dir, 'lego-https');
        const res = await runLego({
          server: directoryAt127,
          email: 'peers@example.org',
          path: dir,
          challenge: legoHttp01(httpPort),
          domains: ['https-lego.test'],
          env: { LEGO_CA_CERTIFICATES: join(tlsDir, 'ca.pem') },
        });
        expect(res.output).toContain('Server responded with a certificate');
        expect(res.output).toContain(`https://localhost:${stack.replicas[0]!.port}/acme/`);
        const result = await verifyCertificate(stack.caPemFile, join(dir, 'certificates', 'https-lego.test.crt'));
        expect(result.output).toMatch(/: OK/);
        expect(result.sans).toEqual(['https-lego.test']);
      },
      TIMEOUT,
    );

    it(
      'serves certbot over HTTPS with the same public name',
      async () => {
        const dir = join(stack.dir, 'certbot-https');
        const res = await run(
          'certbot',
          [
            'certonly',
            '--standalone',
            '--http-01-address',
            '127.0.0.1',
            '--http-01-port',
            String(httpPort),
            '--server',
            stack.replicas[0]!.directoryUrl,
            '-d',
            'https-certbot.test',
            '--register-unsafely-without-email',
            '--agree-tos',
            '--non-interactive',
            '--config-dir',
            `${dir}/config`,
            '--work-dir',
            `${dir}/work`,
            '--logs-dir',
            `${dir}/logs`,
          ],
          { REQUESTS_CA_BUNDLE: join(tlsDir, 'ca.pem') },
        );
        expect(res.output).toContain('Successfully received certificate');
        const result = await verifyCertificate(stack.caPemFile, `${dir}/config/live/https-certbot.test/cert.pem`);
        expect(result.output).toMatch(/: OK/);
        expect(result.sans).toEqual(['https-certbot.test']);
      },
      TIMEOUT,
    );
  });

  describe('as two replicas with two workers', () => {
    let stack: InteropStack;
    let httpPort: number;
    let responder: Http01Responder | undefined;
    let sut: AcmeTestClient;

    beforeAll(async () => {
      httpPort = await freePort();
      stack = await startInteropStack(database, {
        replicas: 2,
        workers: 2,
        env: { ACME_HTTP01_PORT: String(httpPort) },
        publicBase: () => 'http://acme.example.test',
      });
      sut = new AcmeTestClient(stack.replicas[0]!.directoryUrl, stack.publicBase);
      sut.origins = stack.replicas.map((r) => `http://127.0.0.1:${r.port}`);
      await sut.init();
      responder = await startHttp01Responder(httpPort, (token) => sut.keyAuthorization(token));
    }, TIMEOUT);
    afterAll(async () => {
      await responder?.close();
      await stack?.close();
    }, TIMEOUT);

    it(
      'issues while every request goes to the other replica than the one before (nonces, orders, validations shared)',
      async () => {
        expect((await sut.newAccount()).status).toBe(201);
        for (const name of ['replica1.test', 'replica2.test', 'replica3.test']) {
          const order = await sut.newOrder([{ type: 'dns', value: name }]);
          expect(order.status).toBe(201);
          const authzUrl = (order.body['authorizations'] as string[])[0] as string;
          const challenge = ((await sut.post(authzUrl, '')).body['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
          await sut.post(challenge.url, {});
          expect((await sut.pollUntil(authzUrl, ['pending'])).body['status']).toBe('valid');
          const finalized = await sut.post(order.body['finalize'] as string, { csr: (await makeCsr([name])).toString('base64url') });
          const valid = await sut.pollUntil(finalized.headers.get('location') as string, ['processing'], 120_000);
          expect(valid.body['status']).toBe('valid');
          const pem = (await sut.post(valid.body['certificate'] as string, '')).text;
          const file = join(stack.dir, `${name}.pem`);
          await writeFile(file, pem);
          const result = await verifyCertificate(stack.caPemFile, file);
          expect(result.output).toMatch(/: OK/);
          expect(result.sans).toEqual([name]);
        }
      },
      TIMEOUT,
    );
  });

  describe('under a path prefix in the public URL, kept by the ingress', () => {
    let stack: InteropStack;
    let httpPort: number;

    beforeAll(async () => {
      httpPort = await freePort();
      stack = await startInteropStack(database, {
        env: { ACME_HTTP01_PORT: String(httpPort) },
        // The prefix /acme is also the routes' first segment: the new-order URL is /acme/acme/new-order.
        publicBase: (ports) => `http://127.0.0.1:${ports[0]}/acme/`,
      });
    }, TIMEOUT);
    afterAll(async () => {
      await stack?.close();
    }, TIMEOUT);

    it(
      'serves lego from the prefixed directory URL; every URL it follows carries the prefix',
      async () => {
        const port = stack.replicas[0]!.port;
        const dir = join(stack.dir, 'lego-prefix');
        const res = await runLego({
          server: `http://127.0.0.1:${port}/acme/directory`,
          email: 'peers@example.org',
          path: dir,
          challenge: legoHttp01(httpPort),
          domains: ['prefix-lego.test'],
        });
        expect(res.output).toContain('Server responded with a certificate');
        expect(res.output).toContain(`http://127.0.0.1:${port}/acme/acme/`);
        const result = await verifyCertificate(stack.caPemFile, join(dir, 'certificates', 'prefix-lego.test.crt'));
        expect(result.output).toMatch(/: OK/);
        expect(result.sans).toEqual(['prefix-lego.test']);
      },
      TIMEOUT,
    );
  });
});
