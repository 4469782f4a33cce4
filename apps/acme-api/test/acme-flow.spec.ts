import { X509Certificate } from 'node:crypto';
import { withDatabases } from '../../../test/support/databases.js';
import { AcmeServer } from '../src/acme/acme-server.js';
import { AcmeTestClient, makeCsr, type AcmeResponse } from './support/acme-test-client.js';
import { startAcmeStack, type AcmeStack } from './support/acme-stack.js';

const databases = await withDatabases();

/** The whole RFC 8555 flow against the real app, Redis and database, with a fake CA worker. */
describe(AcmeServer.name, () => {
  describe.each(databases)('on $name', (database) => {
    let stack: AcmeStack;
    let sut: AcmeTestClient;

    beforeAll(async () => {
      stack = await startAcmeStack(database, {
        ACME_PROFILES: JSON.stringify({
          approval: { description: 'held for approval', template: 'Pending' },
          denied: { template: 'Denied' },
          flaky: { template: 'Flaky' },
        }),
      });
    });
    afterAll(async () => {
      await stack?.close();
    });
    beforeEach(async () => {
      sut = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
      expect((await sut.newAccount()).status).toBe(201);
    });

    async function authorize(order: AcmeResponse, type = 'http-01'): Promise<void> {
      for (const authzUrl of order.body['authorizations'] as string[]) {
        const authz = await sut.post(authzUrl, '');
        const challenge = (authz.body['challenges'] as { type: string; url: string; token: string }[]).find((c) => c.type === type);
        if (!challenge) throw new Error(`no ${type} challenge`);
        const keyAuth = sut.keyAuthorization(challenge.token);
        if (type === 'http-01') stack.http01.tokens.set(challenge.token, keyAuth);
        if (type === 'dns-01') {
          const { createHash } = await import('node:crypto');
          stack.dns.setTxt(`_acme-challenge.${(authz.body['identifier'] as { value: string }).value}`, [
            createHash('sha256').update(keyAuth).digest('base64url'),
          ]);
        }
        const answered = await sut.post(challenge.url, {});
        expect(answered.status).toBe(200);
        expect((await sut.pollUntil(authzUrl, ['pending'])).body['status']).toBe('valid');
      }
    }

    async function issue(names: string[], extra: Record<string, unknown> = {}, type = 'http-01'): Promise<AcmeResponse> {
      const order = await sut.newOrder(
        names.map((value) => ({ type: 'dns', value })),
        extra,
      );
      expect(order.status).toBe(201);
      await authorize(order, type);
      const orderUrl = order.headers.get('location') as string;
      expect((await sut.post(orderUrl, '')).body['status']).toBe('ready');
      return sut.post(order.body['finalize'] as string, { csr: (await makeCsr(names)).toString('base64url') });
    }

    it('issues a certificate through http-01 and serves leaf then chain as application/pem-certificate-chain', async () => {
      const finalized = await issue(['www.example.test', 'api.example.test']);
      expect(finalized.status).toBe(200);
      const order = await sut.pollUntil(finalized.headers.get('location') as string, ['processing']);
      expect(order.body['status']).toBe('valid');
      const cert = await sut.post(order.body['certificate'] as string, '');
      expect(cert.status).toBe(200);
      expect(cert.headers.get('content-type')).toBe('application/pem-certificate-chain');
      const pems = cert.text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
      expect(pems).toHaveLength(2);
      const leaf = new X509Certificate(pems[0] as string);
      expect(new X509Certificate(pems[1] as string).subject).toBe('CN=enrollgate-test-CA');
      expect(leaf.subjectAltName).toBe('DNS:www.example.test, DNS:api.example.test');
      expect(leaf.verify(new X509Certificate(stack.ca.caPem).publicKey)).toBe(true);
    });

    it('validates dns-01 through the configured DNS server, wildcards included', async () => {
      const finalized = await issue(['*.wild.example.test'], {}, 'dns-01');
      const order = await sut.pollUntil(finalized.headers.get('location') as string, ['processing']);
      expect(order.body['status']).toBe('valid');
    });

    it('reuses a valid authorization of the same account for a second order', async () => {
      const first = await issue(['reuse.example.test']);
      const firstAuthz = (await sut.post(first.headers.get('location') as string, '')).body['authorizations'] as string[];
      const second = await sut.newOrder([{ type: 'dns', value: 'reuse.example.test' }]);
      expect(second.body['authorizations']).toEqual(firstAuthz);
      expect(second.body['status']).toBe('ready');
    });

    it('keeps a manager-approval order processing with Retry-After until the CA approves it', async () => {
      const finalized = await issue(['approve.example.test'], { profile: 'approval' });
      expect(finalized.body['status']).toBe('processing');
      expect(finalized.headers.get('retry-after')).toBe('1');
      const orderUrl = finalized.headers.get('location') as string;
      const orderId = orderUrl.split('/').pop() as string;
      const polled = await sut.post(orderUrl, '');
      expect(polled.body['status']).toBe('processing');
      await stack.ca.approve(orderId);
      expect((await sut.pollUntil(orderUrl, ['processing'])).body['status']).toBe('valid');
    });

    it('makes the order invalid with the CA reason on a permanent denial', async () => {
      const finalized = await issue(['deny.example.test'], { profile: 'denied' });
      const order = await sut.pollUntil(finalized.headers.get('location') as string, ['processing']);
      expect(order.body['status']).toBe('invalid');
      expect(order.body['error']).toMatchObject({
        type: 'urn:ietf:params:acme:error:unauthorized',
        detail: expect.stringContaining('Denied by Policy Module'),
      });
    });

    it('keeps the order processing through a transient failure and issues on the resubmission', async () => {
      const finalized = await issue(['flaky.example.test'], { profile: 'flaky' });
      const order = await sut.pollUntil(finalized.headers.get('location') as string, ['processing']);
      expect(order.body['status']).toBe('valid');
      expect(
        stack.ca.submitted
          .filter((j) => j.requestKey.startsWith((finalized.headers.get('location') as string).split('/').pop() as string))
          .map((j) => j.requestKey.replace(/^[^.]+/, '')),
      ).toEqual(['', '.r1']);
    });

    it('answers renewalInfo (ARI) for an issued certificate', async () => {
      const finalized = await issue(['ari.example.test']);
      const order = await sut.pollUntil(finalized.headers.get('location') as string, ['processing']);
      const pem = (await sut.post(order.body['certificate'] as string, '')).text;
      const leaf = new X509Certificate(pem);
      const { formatCertId } = await import('../src/ari/cert-id.js');
      const { parseCertificate } = await import('@enrollgate/pki');
      const info = parseCertificate(leaf.raw);
      const certId = formatCertId(info.authorityKeyId as string, info.serialNumber);
      const res = await fetch(sut.connectUrl(`${sut.directory['renewalInfo']}/${certId}`));
      expect(res.status).toBe(200);
      expect(res.headers.get('retry-after')).toBe('21600');
      const body = (await res.json()) as { suggestedWindow: { start: string; end: string } };
      expect(Date.parse(body.suggestedWindow.start)).toBeLessThan(Date.parse(body.suggestedWindow.end));
      expect(Date.parse(body.suggestedWindow.end)).toBeLessThan(Date.parse(leaf.validTo));
    });
  });
});
