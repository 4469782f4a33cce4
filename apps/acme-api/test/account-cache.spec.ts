import { openDatabase } from '@enrollgate/store';
import { sql } from 'kysely';
import { withDatabases } from '../../../test/support/databases.js';
import { AcmeTestClient, newKey, signJws, type AcmeResponse } from './support/acme-test-client.js';
import { startAcmeStack, type AcmeStack } from './support/acme-stack.js';

const databases = await withDatabases();
const P = 'urn:ietf:params:acme:error:';

function expectProblem(res: AcmeResponse, type: string): void {
  expect({ status: res.status, type: res.body['type'] }).toEqual({ status: expect.any(Number), type: P + type });
  expect(res.status).toBeGreaterThanOrEqual(400);
}

/**
 * Accounts cached per replica (AccountCache): every change made through ACME on one replica is
 * seen by the next request on another, although neither reads the account from the database
 * while its copy is current.
 */
describe('account cache across replicas', () => {
  describe.each(databases)('on $name', (database) => {
    let stack: AcmeStack;
    let originA: string;
    let originB: string;
    let sut: AcmeTestClient;
    const onA = <T>(fn: () => Promise<T>) => on(originA, fn);
    const onB = <T>(fn: () => Promise<T>) => on(originB, fn);
    async function on<T>(origin: string, fn: () => Promise<T>): Promise<T> {
      sut.origins = [origin];
      try {
        return await fn();
      } finally {
        sut.origins = [];
      }
    }

    beforeAll(async () => {
      stack = await startAcmeStack(database, { ACME_ACCOUNT_CACHE_SECONDS: '2' });
      originA = new URL(stack.directoryUrl).origin;
      originB = (await stack.replica()).origin;
    });
    afterAll(async () => {
      await stack?.close();
    });
    beforeEach(async () => {
      sut = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
      expect((await onA(() => sut.newAccount())).status).toBe(201);
      // A now holds the account: the next request on A uses its copy.
      expect((await onA(() => sut.post(sut.kid as string, ''))).status).toBe(200);
    });

    /** Changes the account's contact in the database without enrollgate (as an operator's SQL would). */
    async function contactBehindOurBack(contact: string): Promise<void> {
      const db = openDatabase(stack.databaseUrl);
      try {
        const id = (sut.kid as string).split('/').pop() as string;
        await sql`update acme_accounts set contact = ${JSON.stringify([contact])} where id = ${id}`.execute(db.db);
      } finally {
        await db.close();
      }
    }

    it('serves a request from its copy while the account is unchanged (a database-only change shows after the cache age)', async () => {
      await contactBehindOurBack('mailto:sql@example.org');
      expect((await onA(() => sut.post(sut.kid as string, ''))).body['contact']).toEqual(['mailto:test@example.org']);
      // B has no copy yet: it reads the database.
      expect((await onB(() => sut.post(sut.kid as string, ''))).body['contact']).toEqual(['mailto:sql@example.org']);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await onA(() => sut.post(sut.kid as string, ''))).body['contact']).toEqual(['mailto:sql@example.org']);
    });

    it('a deactivation on B refuses the next request on A', async () => {
      expect((await onB(() => sut.post(sut.kid as string, { status: 'deactivated' }))).body['status']).toBe('deactivated');
      expectProblem(await onA(() => sut.post(sut.kid as string, '')), 'unauthorized');
      expectProblem(await onA(() => sut.newOrder([{ type: 'dns', value: 'cache.example.org' }])), 'unauthorized');
    });

    it('a contact update on B is what the next request on A sees', async () => {
      expect((await onB(() => sut.post(sut.kid as string, { contact: ['mailto:b@example.org'] }))).status).toBe(200);
      expect((await onA(() => sut.post(sut.kid as string, ''))).body['contact']).toEqual(['mailto:b@example.org']);
    });

    it('after a key roll-over on B, A refuses the old key and accepts the new one', async () => {
      const oldKey = sut.key;
      const next = newKey('p256');
      const keyChangeUrl = sut.directory['keyChange'] as string;
      const inner = signJws(next, { alg: 'ES256', jwk: next.jwk, url: keyChangeUrl }, { account: sut.kid, oldKey: oldKey.jwk });
      expect((await onB(() => sut.post(keyChangeUrl, inner))).status).toBe(200);
      // The old key still matches A's copy; the version read with the nonce says it is stale.
      expectProblem(await onA(() => sut.post(sut.kid as string, '')), 'malformed');
      sut.key = next;
      expect((await onA(() => sut.post(sut.kid as string, ''))).status).toBe(200);
      sut.key = oldKey;
      expectProblem(await onA(() => sut.post(sut.kid as string, '')), 'malformed');
    });

    it('after a key roll-over on B, A accepts the new key at once although its copy holds the old one', async () => {
      const next = newKey('p256');
      const keyChangeUrl = sut.directory['keyChange'] as string;
      const inner = signJws(next, { alg: 'ES256', jwk: next.jwk, url: keyChangeUrl }, { account: sut.kid, oldKey: sut.key.jwk });
      expect((await onB(() => sut.post(keyChangeUrl, inner))).status).toBe(200);
      sut.key = next;
      const res = await onA(() => sut.post(sut.kid as string, ''));
      expect(res.status).toBe(200);
      expect(res.body['status']).toBe('valid');
    });
  });
});
