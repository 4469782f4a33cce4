import { KeyObject, createHash, generateKeyPairSync } from 'node:crypto';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { buildCsr, createRootCa, generateKeyPair, type CryptoKeyPair } from '@enrollgate/pki';
import { withDatabases } from '../../../test/support/databases.js';
import { RequestVerifier } from '../src/jose/request-verifier.js';
import { AcmeTestClient, eabJws, makeCsr, newKey, signJws, type AcmeKey, type AcmeResponse } from './support/acme-test-client.js';
import { startAcmeStack, type AcmeStack } from './support/acme-stack.js';

const databases = await withDatabases();
const P = 'urn:ietf:params:acme:error:';
const EAB_KEY = Buffer.from('an example EAB key of some length!!');

function expectProblem(res: AcmeResponse, type: string, status?: number): void {
  expect({ type: res.body['type'], status: res.status }).toEqual({ type: P + type, status: status ?? res.status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body['detail']).toEqual(expect.any(String));
}

/** A KeyObject-based test key from a WebCrypto pair (to put the account key into a CSR). */
function keyFromPair(pair: CryptoKeyPair): AcmeKey {
  const privateKey = KeyObject.from(pair.privateKey);
  const publicKey = KeyObject.from(pair.publicKey);
  const full = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const jwk = { crv: full['crv'] as string, kty: 'EC', x: full['x'] as string, y: full['y'] as string };
  const thumbprint = createHash('sha256').update(`{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
  return { privateKey, publicKey, alg: 'ES256', jwk, thumbprint };
}

/** Negative conformance: every check of anchors.md §A.3 answered with the problem type RFC 8555 names. */
describe(RequestVerifier.name, () => {
  describe.each(databases)('on $name', (database) => {
    let stack: AcmeStack;
    let sut: AcmeTestClient;
    const url = (name: string) => sut.directory[name] as string;

    beforeAll(async () => {
      stack = await startAcmeStack(database, {
        ACME_PROFILES: JSON.stringify({ p384only: { template: 'WebServer', curves: ['P-384'] }, rsa3072: { template: 'WebServer', rsaMinBits: 3072 } }),
        ACME_EAB_KEYS: JSON.stringify({ 'kid-1': EAB_KEY.toString('base64url') }),
      });
    });
    afterAll(async () => {
      await stack?.close();
    });
    beforeEach(async () => {
      sut = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
      expect((await sut.newAccount()).status).toBe(201);
    });

    async function readyOrder(names: string[]): Promise<AcmeResponse> {
      const order = await sut.newOrder(names.map((value) => ({ type: 'dns', value })));
      for (const authzUrl of order.body['authorizations'] as string[]) {
        const challenge = ((await sut.post(authzUrl, '')).body['challenges'] as { type: string; url: string; token: string }[]).find(
          (c) => c.type === 'http-01',
        )!;
        stack.http01.tokens.set(challenge.token, sut.keyAuthorization(challenge.token));
        await sut.post(challenge.url, {});
        await sut.pollUntil(authzUrl, ['pending']);
      }
      return sut.post(order.headers.get('location') as string, '');
    }

    describe('directory and nonces', () => {
      it('lists every resource under the public base URL, never the Host header', async () => {
        const res = await fetch(stack.directoryUrl, { headers: { host: 'evil.example' } });
        const body = (await res.json()) as Record<string, unknown>;
        for (const k of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange', 'renewalInfo'])
          expect(body[k]).toMatch(/^http:\/\/acme\.test\.invalid:4000\//);
        expect(body['meta']).toEqual({
          externalAccountRequired: false,
          profiles: { p384only: 'AD CS template WebServer', rsa3072: 'AD CS template WebServer' },
        });
      });

      it('answers HEAD newNonce 200 and GET 204, both with a nonce and no-store', async () => {
        const head = await fetch(sut.connectUrl(url('newNonce')), { method: 'HEAD' });
        const get = await fetch(sut.connectUrl(url('newNonce')));
        expect([head.status, get.status]).toEqual([200, 204]);
        expect(head.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(get.headers.get('cache-control')).toBe('no-store');
      });

      it('answers GET on a POST-as-GET resource with 405 and a malformed problem (RFC 8555 §6.3)', async () => {
        const res = await fetch(sut.connectUrl(url('newOrder')));
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(((await res.json()) as { type: string }).type).toBe('urn:ietf:params:acme:error:malformed');
      });
    });

    describe('JWS checks', () => {
      it.each([
        ['a Content-Type other than application/jose+json', { contentType: 'application/json' }, 'malformed', 415],
        ['a Replay-Nonce request header', { extraHeaders: { 'replay-nonce': 'abc' } }, 'malformed', 400],
        ['a body that is not JSON', { rawBody: '{nope' }, 'malformed', 400],
        ['no url in the protected header', { headerOverrides: { url: undefined } }, 'malformed', 400],
        ['a url other than the request URL', { url: 'http://acme.test.invalid:4000/acme/new-account' }, 'unauthorized', 403],
        ['no nonce', { nonce: null }, 'badNonce', 400],
        ['an unknown nonce', { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' }, 'badNonce', 400],
        ['an algorithm the server does not support', { headerOverrides: { alg: 'none' } }, 'badSignatureAlgorithm', 400],
        ['an algorithm that does not match the key', { headerOverrides: { alg: 'ES384' } }, 'badSignatureAlgorithm', 400],
        ['jwk and kid together', { headerOverrides: { jwk: newKey().jwk } }, 'malformed', 400],
        ['a kid outside the account URL prefix', { headerOverrides: { kid: 'http://elsewhere.example/acct/1' } }, 'malformed', 400],
        ['a kid of no account', { headerOverrides: { kid: 'http://acme.test.invalid:4000/acme/acct/nobody' } }, 'accountDoesNotExist', 400],
      ])('refuses %s', async (_what, options, type, status) => {
        expectProblem(await sut.post(url('newOrder'), { identifiers: [{ type: 'dns', value: 'a.example.test' }] }, options), type, status);
      });

      it('sends a fresh nonce with badNonce so the client can retry', async () => {
        const res = await sut.post(url('newOrder'), { identifiers: [{ type: 'dns', value: 'a.example.test' }] }, { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
        expectProblem(res, 'badNonce');
        expect(res.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]+$/);
      });

      it('answers each request with a new single-use nonce, also after badNonce', async () => {
        const bad = await sut.post(url('newOrder'), { identifiers: [{ type: 'dns', value: 'a.example.test' }] }, { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
        const fromProblem = bad.headers.get('replay-nonce') as string;
        const ok = await sut.post(sut.kid as string, '', { nonce: fromProblem });
        expect(ok.status).toBe(200);
        const fromSuccess = ok.headers.get('replay-nonce') as string;
        expect(fromSuccess).not.toBe(fromProblem);
        expectProblem(await sut.post(sut.kid as string, '', { nonce: fromProblem }), 'badNonce');
        expect((await sut.post(sut.kid as string, '', { nonce: fromSuccess })).status).toBe(200);
      });

      it('accepts a nonce once only', async () => {
        const nonce = await sut.nonce();
        expect((await sut.post(sut.kid as string, '', { nonce })).status).toBe(200);
        expectProblem(await sut.post(sut.kid as string, '', { nonce }), 'badNonce');
      });

      it('refuses the general JWS serialization and an unprotected header', async () => {
        const jws = signJws(sut.key, { alg: 'ES256', kid: sut.kid, nonce: await sut.nonce(), url: url('newOrder') }, {});
        expectProblem(
          await sut.post(
            url('newOrder'),
            {},
            { rawBody: JSON.stringify({ payload: jws.payload, signatures: [{ protected: jws.protected, signature: jws.signature }] }) },
          ),
          'malformed',
        );
        expectProblem(await sut.post(url('newOrder'), {}, { rawBody: JSON.stringify({ ...jws, header: { kid: sut.kid } }) }), 'malformed');
      });

      it('refuses a signature that does not verify', async () => {
        const jws = signJws(newKey(), { alg: 'ES256', kid: sut.kid, nonce: await sut.nonce(), url: url('newOrder') }, { identifiers: [] });
        expectProblem(await sut.post(url('newOrder'), {}, { rawBody: JSON.stringify(jws) }), 'malformed');
      });

      it('refuses newAccount signed with a kid and newOrder signed with a jwk', async () => {
        expectProblem(await sut.post(url('newAccount'), {}), 'malformed');
        expectProblem(await sut.post(url('newOrder'), { identifiers: [{ type: 'dns', value: 'a.example.test' }] }, { jwk: true }), 'malformed');
      });

      it('refuses a jwk whose alg member disagrees with the key, and a short RSA key', async () => {
        const other = new AcmeTestClient(stack.directoryUrl, stack.baseUrl);
        other.directory = sut.directory;
        expectProblem(await other.post(url('newAccount'), {}, { headerOverrides: { jwk: { ...other.key.jwk, alg: 'ES384' } } }), 'badSignatureAlgorithm');
        const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
        const full = small.publicKey.export({ format: 'jwk' }) as Record<string, string>;
        const weak: AcmeKey = { ...small, alg: 'RS256', jwk: { e: full['e'] as string, kty: 'RSA', n: full['n'] as string }, thumbprint: '' };
        expectProblem(await other.post(url('newAccount'), { termsOfServiceAgreed: true }, { key: weak }), 'badPublicKey');
      });

      it('requires POST-as-GET bodies to be empty', async () => {
        const order = await sut.newOrder([{ type: 'dns', value: 'pag.example.test' }]);
        expectProblem(await sut.post(order.headers.get('location') as string, {}), 'malformed');
      });
    });

    describe('accounts', () => {
      it('returns the existing account for its key with 200, and accountDoesNotExist for onlyReturnExisting', async () => {
        const again = await sut.post(url('newAccount'), { onlyReturnExisting: true }, { jwk: true });
        expect(again.status).toBe(200);
        expect(again.headers.get('location')).toBe(sut.kid);
        const stranger = new AcmeTestClient(stack.directoryUrl, stack.baseUrl);
        stranger.directory = sut.directory;
        expectProblem(await stranger.newAccount({ onlyReturnExisting: true }), 'accountDoesNotExist');
      });

      it.each([
        [['https://example.org/contact'], 'unsupportedContact'],
        [['mailto:not-an-address'], 'invalidContact'],
        [['mailto:a@example.org?subject=x'], 'invalidContact'],
      ])('refuses contact %j with %s', async (contact, type) => {
        const other = new AcmeTestClient(stack.directoryUrl, stack.baseUrl);
        other.directory = sut.directory;
        expectProblem(await other.newAccount({ contact, termsOfServiceAgreed: true }), type);
      });

      it('updates the contact, refuses an empty update, and deactivates', async () => {
        const updated = await sut.post(sut.kid as string, { contact: ['mailto:new@example.org'] });
        expect(updated.body['contact']).toEqual(['mailto:new@example.org']);
        expectProblem(await sut.post(sut.kid as string, {}), 'malformed');
        expect((await sut.post(sut.kid as string, { status: 'deactivated' })).body['status']).toBe('deactivated');
        expectProblem(await sut.post(sut.kid as string, ''), 'unauthorized');
      });

      it.each(['HS256', 'HS384', 'HS512'] as const)('binds an external account with %s and an unpadded base64url key', async (alg) => {
        const other = new AcmeTestClient(stack.directoryUrl, stack.baseUrl);
        other.directory = sut.directory;
        const res = await other.newAccount({
          termsOfServiceAgreed: true,
          externalAccountBinding: eabJws('kid-1', EAB_KEY, other.key.jwk, url('newAccount'), alg),
        });
        expect(res.status).toBe(201);
      });

      it.each([
        ['a wrong MAC', (jwk: Record<string, string>, u: string) => eabJws('kid-1', Buffer.from('wrong'), jwk, u), 'unauthorized'],
        ['an unknown kid', (jwk: Record<string, string>, u: string) => eabJws('kid-9', EAB_KEY, jwk, u), 'unauthorized'],
        ['another url', (jwk: Record<string, string>) => eabJws('kid-1', EAB_KEY, jwk, 'http://acme.test.invalid:4000/acme/new-order'), 'unauthorized'],
        ['a nonce', (jwk: Record<string, string>, u: string) => eabJws('kid-1', EAB_KEY, jwk, u, 'HS256', { nonce: 'x' }), 'malformed'],
        [
          'a non-MAC algorithm',
          (jwk: Record<string, string>, u: string) => eabJws('kid-1', EAB_KEY, jwk, u, 'HS256', { alg: 'ES256' }),
          'badSignatureAlgorithm',
        ],
        ['another key in the payload', (_jwk: Record<string, string>, u: string) => eabJws('kid-1', EAB_KEY, newKey().jwk, u), 'unauthorized'],
      ])('refuses an external account binding with %s', async (_what, make, type) => {
        const other = new AcmeTestClient(stack.directoryUrl, stack.baseUrl);
        other.directory = sut.directory;
        expectProblem(await other.newAccount({ termsOfServiceAgreed: true, externalAccountBinding: make(other.key.jwk, url('newAccount')) }), type);
      });

      it('rolls the account key over, after which only the new key signs', async () => {
        const newAccountKey = newKey('p256');
        const inner = signJws(newAccountKey, { alg: 'ES256', jwk: newAccountKey.jwk, url: url('keyChange') }, { account: sut.kid, oldKey: sut.key.jwk });
        expect((await sut.post(url('keyChange'), inner)).status).toBe(200);
        expectProblem(await sut.post(sut.kid as string, ''), 'malformed');
        sut.key = newAccountKey;
        expect((await sut.post(sut.kid as string, '')).status).toBe(200);
      });

      it.each([
        [
          'a nonce in the inner JWS',
          (k: AcmeKey, c: AcmeTestClient) =>
            signJws(k, { alg: 'ES256', jwk: k.jwk, url: c.directory['keyChange'], nonce: 'x' }, { account: c.kid, oldKey: c.key.jwk }),
          'malformed',
        ],
        [
          'an inner url other than the outer',
          (k: AcmeKey, c: AcmeTestClient) => signJws(k, { alg: 'ES256', jwk: k.jwk, url: c.directory['newOrder'] }, { account: c.kid, oldKey: c.key.jwk }),
          'malformed',
        ],
        [
          'a wrong oldKey',
          (k: AcmeKey, c: AcmeTestClient) => signJws(k, { alg: 'ES256', jwk: k.jwk, url: c.directory['keyChange'] }, { account: c.kid, oldKey: newKey().jwk }),
          'unauthorized',
        ],
        [
          'another account',
          (k: AcmeKey, c: AcmeTestClient) =>
            signJws(k, { alg: 'ES256', jwk: k.jwk, url: c.directory['keyChange'] }, { account: `${c.kid}x`, oldKey: c.key.jwk }),
          'unauthorized',
        ],
        [
          'the current key as the new key',
          (_k: AcmeKey, c: AcmeTestClient) =>
            signJws(c.key, { alg: 'ES256', jwk: c.key.jwk, url: c.directory['keyChange'] }, { account: c.kid, oldKey: c.key.jwk }),
          'malformed',
        ],
      ])('refuses a key change with %s', async (_what, make, type) => {
        expectProblem(await sut.post(url('keyChange'), make(newKey(), sut)), type);
      });

      it('answers 409 with the holder when the new key already has an account', async () => {
        const holder = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
        await holder.newAccount();
        const inner = signJws(holder.key, { alg: 'ES256', jwk: holder.key.jwk, url: url('keyChange') }, { account: sut.kid, oldKey: sut.key.jwk });
        const res = await sut.post(url('keyChange'), inner);
        expectProblem(res, 'malformed', 409);
        expect(res.headers.get('location')).toBe(holder.kid);
      });
    });

    describe('orders', () => {
      it('refuses an empty identifier list', async () => {
        expectProblem(await sut.newOrder([]), 'malformed');
      });

      it('names each bad identifier in a subproblem', async () => {
        const res = await sut.newOrder([
          { type: 'dns', value: 'ok.example.test' },
          { type: 'dns', value: 'bad_name.example.test' },
          { type: 'dns', value: 'a.*.example.test' },
        ]);
        expectProblem(res, 'rejectedIdentifier');
        expect(res.body['subproblems']).toEqual([
          { type: P + 'rejectedIdentifier', detail: expect.any(String), identifier: { type: 'dns', value: 'bad_name.example.test' } },
          { type: P + 'rejectedIdentifier', detail: expect.any(String), identifier: { type: 'dns', value: 'a.*.example.test' } },
        ]);
      });

      it('answers compound for subproblems of different types', async () => {
        const res = await sut.newOrder([
          { type: 'email', value: 'a@example.test' },
          { type: 'ip', value: '300.1.1.1' },
        ]);
        expectProblem(res, 'compound');
        expect((res.body['subproblems'] as { type: string }[]).map((s) => s.type)).toEqual([P + 'unsupportedIdentifier', P + 'rejectedIdentifier']);
      });

      it('refuses notBefore/notAfter clearly and an unknown profile with invalidProfile', async () => {
        expectProblem(await sut.newOrder([{ type: 'dns', value: 'a.example.test' }], { notAfter: '2030-01-01T00:00:00Z' }), 'malformed');
        expectProblem(await sut.newOrder([{ type: 'dns', value: 'a.example.test' }], { profile: 'nope' }), 'invalidProfile');
      });

      it('offers http-01, dns-01, tls-alpn-01 for names, dns-01 only for wildcards, no dns-01 for IPs', async () => {
        const order = await sut.newOrder([
          { type: 'dns', value: 'Mixed.Example.test' },
          { type: 'dns', value: '*.example.test' },
          { type: 'ip', value: '127.0.0.1' },
        ]);
        expect(order.body['identifiers']).toEqual([
          { type: 'dns', value: 'mixed.example.test' },
          { type: 'dns', value: '*.example.test' },
          { type: 'ip', value: '127.0.0.1' },
        ]);
        const types = [];
        for (const a of order.body['authorizations'] as string[]) {
          const authz = (await sut.post(a, '')).body;
          types.push([authz['identifier'], authz['wildcard'] ?? false, (authz['challenges'] as { type: string }[]).map((c) => c.type).sort()]);
        }
        expect(types).toEqual([
          [{ type: 'dns', value: 'mixed.example.test' }, false, ['dns-01', 'http-01', 'tls-alpn-01']],
          [{ type: 'dns', value: 'example.test' }, true, ['dns-01']],
          [{ type: 'ip', value: '127.0.0.1' }, false, ['http-01', 'tls-alpn-01']],
        ]);
      });

      it('refuses orders, authorizations and challenges of another account', async () => {
        const order = await sut.newOrder([{ type: 'dns', value: 'mine.example.test' }]);
        const other = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
        await other.newAccount();
        expectProblem(await other.post(order.headers.get('location') as string, ''), 'unauthorized');
        const authzUrl = (order.body['authorizations'] as string[])[0] as string;
        expectProblem(await other.post(authzUrl, ''), 'unauthorized');
        const challengeUrl = ((await sut.post(authzUrl, '')).body['challenges'] as { url: string }[])[0]?.url as string;
        expectProblem(await other.post(challengeUrl, {}), 'unauthorized');
      });

      it('answers orderNotReady to a finalize before the authorizations are valid', async () => {
        const order = await sut.newOrder([{ type: 'dns', value: 'early.example.test' }]);
        expectProblem(
          await sut.post(order.body['finalize'] as string, { csr: (await makeCsr(['early.example.test'])).toString('base64url') }),
          'orderNotReady',
          403,
        );
      });

      it('requires the challenge response to be {} and deactivates an authorization on request', async () => {
        const order = await sut.newOrder([{ type: 'dns', value: 'deact.example.test' }]);
        const authzUrl = (order.body['authorizations'] as string[])[0] as string;
        const challengeUrl = ((await sut.post(authzUrl, '')).body['challenges'] as { url: string }[])[0]?.url as string;
        expectProblem(await sut.post(challengeUrl, { keyAuthorization: 'x' }), 'malformed');
        expectProblem(await sut.post(authzUrl, { status: 'valid' }), 'malformed');
        expect((await sut.post(authzUrl, { status: 'deactivated' })).body['status']).toBe('deactivated');
        expect((await sut.post(order.headers.get('location') as string, '')).body['status']).toBe('invalid');
      });

      it('makes the challenge and order invalid with incorrectResponse when http-01 serves the wrong value', async () => {
        const order = await sut.newOrder([{ type: 'dns', value: 'wrong.example.test' }]);
        const authzUrl = (order.body['authorizations'] as string[])[0] as string;
        const challenge = ((await sut.post(authzUrl, '')).body['challenges'] as { type: string; url: string; token: string }[]).find(
          (c) => c.type === 'http-01',
        )!;
        stack.http01.tokens.set(challenge.token, 'not-the-key-authorization');
        await sut.post(challenge.url, {});
        const authz = await sut.pollUntil(authzUrl, ['pending']);
        expect(authz.body['status']).toBe('invalid');
        expect((authz.body['challenges'] as { type: string; error?: { type: string } }[]).find((c) => c.type === 'http-01')?.error?.type).toBe(
          P + 'incorrectResponse',
        );
        expect((await sut.post(order.headers.get('location') as string, '')).body['status']).toBe('invalid');
      });

      it('records connection for http-01 when nothing listens', async () => {
        const order = await sut.newOrder([{ type: 'ip', value: '127.0.0.2' }]);
        const authzUrl = (order.body['authorizations'] as string[])[0] as string;
        const challenge = ((await sut.post(authzUrl, '')).body['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'tls-alpn-01')!;
        await sut.post(challenge.url, {});
        const authz = await sut.pollUntil(authzUrl, ['pending']);
        expect((authz.body['challenges'] as { type: string; error?: { type: string } }[]).find((c) => c.type === 'tls-alpn-01')?.error?.type).toBe(
          P + 'connection',
        );
      });
    });

    describe('finalize CSR checks', () => {
      it.each([
        ['names other than the order', () => makeCsr(['csr.example.test', 'extra.example.test']), 'names must equal'],
        ['a missing name', () => makeCsr(['other.example.test']), 'names must equal'],
        [
          'an e-mail SAN',
          async () =>
            Buffer.from(
              (
                await buildCsr({
                  subject: '',
                  keys: await generateKeyPair('p256'),
                  sans: [
                    { type: 'dns', value: 'csr.example.test' },
                    { type: 'email', value: 'a@example.test' },
                  ],
                })
              ).der,
            ),
          'email',
        ],
        [
          'a SHA-1 signature',
          async () =>
            Buffer.from(
              (await buildCsr({ subject: '', keys: await generateKeyPair('rsa2048'), hash: 'SHA-1', sans: [{ type: 'dns', value: 'csr.example.test' }] })).der,
            ),
          'signature algorithm',
        ],
        ['bytes that are no CSR', () => Promise.resolve(Buffer.from('3003020100', 'hex')), 'CSR rejected'],
      ])('refuses a CSR with %s as badCSR', async (_what, make, detail) => {
        const order = await readyOrder(['csr.example.test']);
        const res = await sut.post(order.body['finalize'] as string, { csr: (await make()).toString('base64url') });
        expectProblem(res, 'badCSR');
        expect(res.body['detail']).toContain(detail);
      });

      it('lists the missing and extra names as subproblems', async () => {
        const order = await readyOrder(['sub.example.test']);
        const res = await sut.post(order.body['finalize'] as string, { csr: (await makeCsr(['extra.example.test'])).toString('base64url') });
        expect(res.body['subproblems']).toEqual([
          expect.objectContaining({ type: P + 'badCSR', identifier: { type: 'dns', value: 'sub.example.test' } }),
          expect.objectContaining({ type: P + 'badCSR', identifier: { type: 'dns', value: 'extra.example.test' } }),
        ]);
      });

      it('refuses the account key as the certificate key (RFC 8555 §11.1)', async () => {
        const pair = await generateKeyPair('p256');
        const owner = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl, keyFromPair(pair)).init();
        await owner.newAccount();
        sut = owner;
        const order = await readyOrder(['samekey.example.test']);
        const csr = await buildCsr({ subject: '', keys: pair, sans: [{ type: 'dns', value: 'samekey.example.test' }] });
        const res = await owner.post(order.body['finalize'] as string, { csr: Buffer.from(csr.der).toString('base64url') });
        expectProblem(res, 'badCSR');
        expect(res.body['detail']).toContain('account key');
      });

      it.each([
        ['p384only', 'p256', 'EC key on P-256'],
        ['rsa3072', 'rsa2048', 'at least 3072'],
      ] as const)('applies the key policy of profile %s', async (profile, keyKind, detail) => {
        const order = await sut.newOrder([{ type: 'dns', value: `${profile}.example.test` }], { profile });
        for (const authzUrl of order.body['authorizations'] as string[]) {
          const challenge = ((await sut.post(authzUrl, '')).body['challenges'] as { type: string; url: string; token: string }[]).find(
            (c) => c.type === 'http-01',
          )!;
          stack.http01.tokens.set(challenge.token, sut.keyAuthorization(challenge.token));
          await sut.post(challenge.url, {});
          await sut.pollUntil(authzUrl, ['pending']);
        }
        const res = await sut.post(order.body['finalize'] as string, { csr: (await makeCsr([`${profile}.example.test`], { keyKind })).toString('base64url') });
        expectProblem(res, 'badCSR');
        expect(res.body['detail']).toContain(detail);
      });
    });

    describe('tls-alpn-01', () => {
      let server: TlsServer | undefined;
      afterEach(() => server?.close());

      /** A certificate for tls-alpn-01 (RFC 8737 §3): one DNS SAN, critical acmeIdentifier = SHA-256(key authorization). */
      async function alpnCertificate(name: string, keyAuthorization: string): Promise<{ cert: string; key: string }> {
        const ca = await createRootCa({ subject: 'CN=alpn', key: 'p256' });
        const keys = await generateKeyPair('p256');
        const digest = createHash('sha256').update(keyAuthorization).digest();
        const issued = await ca.issue({
          csr: (await buildCsr({ subject: '', keys, sans: [{ type: 'dns', value: name }] })).der,
          validityDays: 1,
          keyUsages: ['digitalSignature'],
          extendedKeyUsages: [],
          extraExtensions: [{ oid: '1.3.6.1.5.5.7.1.31', critical: true, value: Buffer.concat([Buffer.from([0x04, 0x20]), digest]) }],
        });
        return { cert: issued.pem, key: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string };
      }

      it.each([
        ['the right digest', true, 'valid', undefined],
        ['a digest of another key authorization', false, 'invalid', 'incorrectResponse'],
      ])('validates the acmeIdentifier certificate presented for ALPN acme-tls/1 (%s)', async (_what, right, status, problem) => {
        const placeholder = await alpnCertificate('placeholder.example.test', 'x');
        server = createTlsServer({ ...placeholder, ALPNProtocols: ['acme-tls/1'] }, (s) => s.end());
        await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
        const alpnStack = await startAcmeStack(database, { ACME_TLSALPN01_PORT: String((server.address() as { port: number }).port) });
        try {
          const client = await new AcmeTestClient(alpnStack.directoryUrl, alpnStack.baseUrl).init();
          await client.newAccount();
          const order = await client.newOrder([{ type: 'dns', value: 'alpn.example.test' }]);
          const authzUrl = (order.body['authorizations'] as string[])[0] as string;
          const challenge = ((await client.post(authzUrl, '')).body['challenges'] as { type: string; url: string; token: string }[]).find(
            (c) => c.type === 'tls-alpn-01',
          )!;
          server.setSecureContext({
            ...(await alpnCertificate('alpn.example.test', right ? client.keyAuthorization(challenge.token) : 'other')),
            ALPNProtocols: ['acme-tls/1'],
          } as Parameters<TlsServer['setSecureContext']>[0]);
          expect((await client.post(challenge.url, {})).status).toBe(200);
          const authz = await client.pollUntil(authzUrl, ['pending']);
          expect(authz.body['status']).toBe(status);
          expect((authz.body['challenges'] as { type: string; error?: { type: string } }[]).find((c) => c.type === 'tls-alpn-01')?.error?.type).toBe(
            problem && P + problem,
          );
        } finally {
          await alpnStack.close();
        }
      });
    });

    describe('revocation and renewalInfo', () => {
      it('checks reason and authority, then answers clearly that revocation is not available yet', async () => {
        const order = await readyOrder(['revoke.example.test']);
        await sut.post(order.body['finalize'] as string, { csr: (await makeCsr(['revoke.example.test'])).toString('base64url') });
        const valid = await sut.pollUntil(order.headers.get('location') as string, ['processing']);
        const pem = (await sut.post(valid.body['certificate'] as string, '')).text;
        const der = Buffer.from((pem.split('-----')[2] as string).replace(/\s/g, ''), 'base64').toString('base64url');
        expectProblem(await sut.post(url('revokeCert'), { certificate: der, reason: 7 }), 'badRevocationReason');
        const stranger = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
        await stranger.newAccount();
        expectProblem(await stranger.post(url('revokeCert'), { certificate: der }), 'unauthorized');
        const res = await sut.post(url('revokeCert'), { certificate: der, reason: 1 });
        expectProblem(res, 'serverInternal', 501);
        expect(res.body['detail']).toContain('not implemented yet');
      });

      it('answers malformed for a bad certificate identifier and 404 for an unknown one', async () => {
        expect((await fetch(sut.connectUrl(`${url('renewalInfo')}/nodot`))).status).toBe(400);
        expect((await fetch(sut.connectUrl(`${url('renewalInfo')}/AAAA.AQ`))).status).toBe(404);
      });
    });
  });
});
