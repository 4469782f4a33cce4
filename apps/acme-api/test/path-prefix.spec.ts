import { X509Certificate } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import acme from 'acme-client';
import { withDatabases } from '../../../test/support/databases.js';
import { AcmeServer } from '../src/acme/acme-server.js';
import { AcmeTestClient, makeCsr, signJws } from './support/acme-test-client.js';
import { startAcmeStack, type AcmeStack } from './support/acme-stack.js';
import { freePort } from '../../../test/support/ports.js';

const databases = await withDatabases();

/** An ingress in front of the server: forwards `<prefix>/…` to the upstream, without the prefix when `strip`. */
async function startIngress(port: number, upstreamPort: number, prefix: string, strip: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${prefix}/`)) return void res.writeHead(404).end('outside the ingress prefix');
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: strip ? url.slice(prefix.length) : url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** ACME_PUBLIC_URL with a path prefix, behind an ingress that keeps or strips it (RFC 8555 §6.4, §7.1). */
describe(`${AcmeServer.name} under a path prefix`, () => {
  describe.each(databases)('on $name', (database) => {
    let stack: AcmeStack;
    const publicBase = 'http://acme.test.invalid:4000/pki';

    beforeAll(async () => {
      stack = await startAcmeStack(database, { ACME_PUBLIC_URL: `${publicBase}/` });
    });
    afterAll(async () => {
      await stack?.close();
    });

    const origin = () => new URL(stack.directoryUrl).origin;

    it('hands out every URL under the prefix, from the prefixed and the unprefixed directory path alike', async () => {
      for (const path of ['/pki/directory', '/directory']) {
        const res = await fetch(origin() + path);
        expect(res.status).toBe(200);
        expect(res.headers.get('link')).toBe(`<${publicBase}/directory>;rel="index"`);
        const body = (await res.json()) as Record<string, unknown>;
        for (const k of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange', 'renewalInfo'])
          expect(body[k]).toMatch(/^http:\/\/acme\.test\.invalid:4000\/pki\/acme\//);
      }
      const nonce = await fetch(`${origin()}/pki/acme/new-nonce`, { method: 'HEAD' });
      expect(nonce.status).toBe(200);
      expect(nonce.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]+$/);
      expect((await fetch(`${origin()}/pki/elsewhere`)).status).toBe(404);
    });

    it.each([
      ['keeps the prefix', 'http://acme.test.invalid:4000'],
      ['strips the prefix', publicBase],
    ])('issues a certificate when the ingress %s', async (_how, mappedBase) => {
      // The test client sends a public URL to origin + (URL minus mappedBase): with the bare origin
      // mapped the path keeps /pki, with the public base mapped it loses it.
      const client = await new AcmeTestClient(`${origin()}/pki/directory`, mappedBase).init();
      expect((await client.newAccount()).headers.get('location')).toMatch(/^http:\/\/acme\.test\.invalid:4000\/pki\/acme\/acct\//);
      const name = `prefix-${mappedBase === publicBase ? 'strip' : 'keep'}.example.test`;
      const order = await client.newOrder([{ type: 'dns', value: name }]);
      expect(order.status).toBe(201);
      const authzUrl = (order.body['authorizations'] as string[])[0] as string;
      const challenge = ((await client.post(authzUrl, '')).body['challenges'] as { type: string; url: string; token: string }[]).find(
        (c) => c.type === 'http-01',
      )!;
      stack.http01.tokens.set(challenge.token, client.keyAuthorization(challenge.token));
      await client.post(challenge.url, {});
      expect((await client.pollUntil(authzUrl, ['pending'])).body['status']).toBe('valid');
      const finalized = await client.post(order.body['finalize'] as string, { csr: (await makeCsr([name])).toString('base64url') });
      const orderUrl = order.headers.get('location') as string;
      const done = finalized.body['status'] === 'valid' ? finalized : await client.pollUntil(orderUrl, ['processing']);
      expect(done.body['status']).toBe('valid');
      expect(done.body['certificate']).toMatch(/^http:\/\/acme\.test\.invalid:4000\/pki\/acme\/cert\//);
      const pem = await client.post(done.body['certificate'] as string, '');
      expect(new X509Certificate(pem.text).subjectAltName).toBe(`DNS:${name}`);
    });

    it('checks the JWS url against the prefixed public URL whichever path the request arrived on', async () => {
      const client = await new AcmeTestClient(`${origin()}/pki/directory`, 'http://acme.test.invalid:4000').init();
      await client.newAccount();
      // Signed for the URL without the prefix: not the resource's URL.
      const unprefixed = `http://acme.test.invalid:4000/acme/acct/${(client.kid as string).split('/').pop() as string}`;
      for (const path of [new URL(unprefixed).pathname, `/pki${new URL(unprefixed).pathname}`]) {
        const jws = signJws(client.key, { alg: 'ES256', kid: client.kid, nonce: await client.nonce(), url: unprefixed }, '');
        const res = await fetch(origin() + path, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: JSON.stringify(jws) });
        expect(res.status).toBe(403);
        expect(((await res.json()) as Record<string, unknown>)['type']).toBe('urn:ietf:params:acme:error:unauthorized');
      }
    });
  });

  describe.each([
    ['keeps', false],
    ['strips', true],
  ])('with acme-client behind an ingress that %s the prefix', (_how, strip) => {
    let stack: AcmeStack;
    let ingress: Server | undefined;
    let ingressPort: number;

    beforeAll(async () => {
      const apiPort = await freePort();
      ingressPort = await freePort();
      // The prefix is /acme, as the routes' own first segment: /acme/acme/new-order when kept.
      stack = await startAcmeStack(databases[0]!, { ACME_LISTEN: `127.0.0.1:${apiPort}`, ACME_PUBLIC_URL: `http://127.0.0.1:${ingressPort}/acme/` });
      ingress = await startIngress(ingressPort, apiPort, '/acme', strip);
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => (ingress ? ingress.close(() => resolve()) : resolve()));
      await stack?.close();
    });

    it('obtains a certificate from the prefixed directory URL', async () => {
      const client = new acme.Client({
        directoryUrl: `http://127.0.0.1:${ingressPort}/acme/directory`,
        accountKey: await acme.crypto.createPrivateEcdsaKey('P-256'),
        backoffAttempts: 30,
        backoffMin: 100,
        backoffMax: 500,
      });
      const name = `acmejs-${strip ? 'strip' : 'keep'}.example.test`;
      const [, csr] = await acme.crypto.createCsr({ altNames: [name] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
      const pem = await client.auto({
        csr,
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        skipChallengeVerification: true,
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
          stack.http01.tokens.set(challenge.token, keyAuthorization);
        },
        challengeRemoveFn: async (_authz, challenge) => {
          stack.http01.tokens.delete(challenge.token);
        },
      });
      expect(new X509Certificate(pem).subjectAltName).toBe(`DNS:${name}`);
      expect(client.getAccountUrl()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ingressPort}/acme/acme/acct/`));
    });
  });
});
