import { withDatabases } from '../../../test/support/databases.js';
import { freePort } from '../../../test/support/ports.js';
import { AcmeTestClient } from './support/acme-test-client.js';
import { startAcmeStack, type AcmeStack } from './support/acme-stack.js';
import { startHttp01Responder, type Http01Responder } from './support/http01-responder.js';

const databases = await withDatabases();

/**
 * A transient validation failure is retried by the queue: the first attempt validates what the
 * challenge POST handed to the job, a retry reads the challenge from the store again.
 */
describe('challenge validation retried after a transient failure', () => {
  describe.each(databases)('on $name', (database) => {
    let stack: AcmeStack;
    let port: number;
    let responder: Http01Responder | undefined;

    beforeAll(async () => {
      port = await freePort();
      stack = await startAcmeStack(database, {
        ACME_HTTP01_PORT: String(port),
        ACME_VALIDATION_ATTEMPTS: '3',
        ACME_VALIDATION_BACKOFF_MS: '1500',
        ACME_CHALLENGE_WAIT_MS: '100',
      });
    });
    afterAll(async () => {
      await responder?.close();
      await stack?.close();
    });

    async function retries(): Promise<number> {
      const text = await (await fetch(new URL('/metrics', stack.directoryUrl))).text();
      const line = text.split('\n').find((l) => l.startsWith('enrollgate_acme_validations_total{') && l.includes('result="retry"'));
      return line ? Number(line.split(' ').pop()) : 0;
    }

    it('validates on the second attempt once the client serves the key authorization', async () => {
      const sut = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
      expect((await sut.newAccount()).status).toBe(201);
      const order = await sut.newOrder([{ type: 'dns', value: 'retry.example.test' }]);
      const authzUrl = (order.body['authorizations'] as string[])[0] as string;
      const challenge = ((await sut.post(authzUrl, '')).body['challenges'] as { type: string; url: string; token: string }[]).find(
        (c) => c.type === 'http-01',
      )!;
      // Nothing listens on the validation port yet: connection refused, a transient failure.
      expect((await sut.post(challenge.url, {})).body['status']).toBe('processing');
      for (let i = 0; i < 50 && (await retries()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await retries()).toBe(1);
      expect((await sut.post(authzUrl, '')).body['status']).toBe('pending');
      responder = await startHttp01Responder(port, (token) => (token === challenge.token ? sut.keyAuthorization(token) : undefined));
      const authz = await sut.pollUntil(authzUrl, ['pending'], 20_000);
      expect(authz.body['status']).toBe('valid');
      expect((authz.body['challenges'] as { type: string; status: string }[]).find((c) => c.type === 'http-01')?.status).toBe('valid');
      await responder.close();
      responder = undefined;
    });
  });
});
