/**
 * acme-api deciding through libs/policy (issue 7), in-process against real Redis and the
 * database (SQLite and PostgreSQL), with the fake CA worker recording every EnrollJob: policy
 * rejections as RFC 8555 problems, the finalize request's headers choosing the template, the
 * template fixed on the order, a kid's CA pool and CA in the job, the EAB key file reloading, and
 * every decision counted. Kids keyid_00…03 are the seed's key file (libs/policy/testdata).
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcmeOrderRepository } from '@enrollgate/store';
import { withDatabases } from '../../../test/support/databases.js';
import { AcmePolicy } from '../src/policy/acme-policy.js';
import { AcmeTestClient, eabJws, makeCsr, type AcmeResponse } from './support/acme-test-client.js';
import { startAcmeStack, type AcmeStack } from './support/acme-stack.js';

const databases = await withDatabases();
const P = 'urn:ietf:params:acme:error:';
const SEED = JSON.parse(readFileSync('libs/policy/testdata/kid_profiles.seed.json', 'utf8')) as Record<string, { hmac: string }>;
/** acme2certifier decodes `hmac` as base64url (padding optional). */
const macKey = (hmac: string) => Buffer.from(hmac, 'base64url');

const EXTRA_KIDS = {
  'kid-pool': { hmac: Buffer.from('kid-pool MAC key of thirty-two bytes').toString('base64url'), cahandler: { ca_pool: 'issuing', ca_name: 'Corp-CA2' } },
  'kid-gone': { hmac: Buffer.from('kid-gone MAC key of thirty-two bytes').toString('base64url') },
};

const POLICY = {
  template: 'WebServer',
  identifier_limit: 3,
  header_info_list: ['HTTP_USER_AGENT'],
  profiles: { tls: { description: 'TLS server and client', template: 'WebServerModified' }, Machine: 'Computer certificates' },
  eab_profiling: true,
  eab_key_file: 'keys/kid_profiles.json',
};

describe(`${AcmePolicy.name} in acme-api`, () => {
  describe.each(databases)('on $name', (database) => {
    let dir: string;
    let stack: AcmeStack;
    let orders: AcmeOrderRepository;

    async function writeKeyFile(kids: Record<string, unknown>): Promise<void> {
      // write-and-rename, as an editor or a ConfigMap update does
      await writeFile(join(dir, 'keys', 'next.json'), JSON.stringify(kids));
      await rename(join(dir, 'keys', 'next.json'), join(dir, 'keys', 'kid_profiles.json'));
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'enrollgate-policy-'));
      await mkdir(join(dir, 'keys'));
      await writeKeyFile({ ...SEED, ...EXTRA_KIDS });
      await writeFile(join(dir, 'policy.json'), JSON.stringify(POLICY));
      stack = await startAcmeStack(database, { ACME_POLICY_FILE: join(dir, 'policy.json') });
      orders = new AcmeOrderRepository(stack.runtime.database);
    });
    afterAll(async () => {
      await stack?.close();
      await rm(dir, { recursive: true, force: true });
    });

    async function client(kid?: string): Promise<AcmeTestClient> {
      const sut = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
      const url = sut.directory['newAccount'] as string;
      const hmac = kid ? ((SEED[kid] ?? EXTRA_KIDS[kid as keyof typeof EXTRA_KIDS]) as { hmac: string }).hmac : undefined;
      const res = await sut.newAccount({
        termsOfServiceAgreed: true,
        ...(kid && hmac ? { externalAccountBinding: eabJws(kid, macKey(hmac), sut.key.jwk, url) } : {}),
      });
      expect(res.status).toBe(201);
      return sut;
    }

    async function readyOrder(sut: AcmeTestClient, names: string[], extra: Record<string, unknown> = {}): Promise<AcmeResponse> {
      const order = await sut.newOrder(
        names.map((value) => ({ type: 'dns', value })),
        extra,
      );
      expect(order.status).toBe(201);
      for (const authzUrl of order.body['authorizations'] as string[]) {
        const challenge = ((await sut.post(authzUrl, '')).body['challenges'] as { type: string; url: string; token: string }[]).find(
          (c) => c.type === 'http-01',
        )!;
        stack.http01.tokens.set(challenge.token, sut.keyAuthorization(challenge.token));
        await sut.post(challenge.url, {});
        await sut.pollUntil(authzUrl, ['pending']);
      }
      const ready = await sut.post(order.headers.get('location') as string, '');
      expect(ready.body['status']).toBe('ready');
      return ready;
    }

    async function finalize(sut: AcmeTestClient, order: AcmeResponse, names: string[], userAgent?: string): Promise<AcmeResponse> {
      return sut.post(
        order.body['finalize'] as string,
        { csr: (await makeCsr(names)).toString('base64url') },
        userAgent ? { extraHeaders: { 'user-agent': userAgent } } : {},
      );
    }

    const orderId = (res: AcmeResponse) => (res.headers.get('location') as string).split('/').pop() as string;
    const jobsOf = (id: string) => stack.ca.submitted.filter((j) => j.requestKey === id || j.requestKey.startsWith(`${id}.`));

    async function decisions(decision: string, rule: string): Promise<number> {
      const text = await (await fetch(`${new URL(stack.directoryUrl).origin}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('enrollgate_policy_decisions_total{') && l.includes(`decision="${decision}"`) && l.includes(`rule="${rule}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    }

    it("advertises the policy's profiles in the directory", async () => {
      const directory = (await (await fetch(stack.directoryUrl)).json()) as { meta: Record<string, unknown> };
      expect(directory.meta).toEqual({ externalAccountRequired: false, profiles: { tls: 'TLS server and client', Machine: 'Computer certificates' } });
    });

    it("refuses names outside a kid's allowed_domainlist as rejectedIdentifier, one subproblem per refused name, counted", async () => {
      const sut = await client('keyid_02');
      const before = await decisions('reject', 'eab.allowed_domainlist');
      const res = await sut.newOrder([
        { type: 'dns', value: 'www.example.com' },
        { type: 'dns', value: 'evil.example.net' },
        { type: 'dns', value: 'www.example.net' },
      ]);
      expect(res.status).toBe(400);
      expect(res.body['type']).toBe(`${P}rejectedIdentifier`);
      expect(res.body['subproblems']).toEqual([
        { type: `${P}rejectedIdentifier`, detail: expect.stringContaining('not allowed'), identifier: { type: 'dns', value: 'evil.example.net' } },
        { type: `${P}rejectedIdentifier`, detail: expect.stringContaining('not allowed'), identifier: { type: 'dns', value: 'www.example.net' } },
      ]);
      expect(await decisions('reject', 'eab.allowed_domainlist')).toBe(before + 1);
    });

    it('refuses more identifiers than identifier_limit as rejectedIdentifier', async () => {
      const sut = await client();
      const res = await sut.newOrder(['a', 'b', 'c', 'd'].map((l) => ({ type: 'dns', value: `${l}.example.test` })));
      expect([res.status, res.body['type']]).toEqual([400, `${P}rejectedIdentifier`]);
    });

    it('refuses a profile the server does not offer as invalidProfile', async () => {
      const sut = await client();
      const before = await decisions('reject', 'profile.unknown');
      const res = await sut.newOrder([{ type: 'dns', value: 'p.example.test' }], { profile: 'nope' });
      expect([res.status, res.body['type']]).toEqual([400, `${P}invalidProfile`]);
      expect(await decisions('reject', 'profile.unknown')).toBe(before + 1);
    });

    it("records the order's profile and enrolls with its template", async () => {
      const sut = await client();
      const ready = await readyOrder(sut, ['tls.example.test'], { profile: 'tls' });
      expect(ready.body['profile']).toBe('tls');
      const res = await finalize(sut, ready, ['tls.example.test']);
      expect(res.status).toBe(200);
      expect((await orders.getOrder(orderId(res)))?.enrollment).toEqual({ template: 'WebServerModified', caPool: null, caName: null, attributes: {} });
      expect(jobsOf(orderId(res)).map((j) => j.template)).toEqual(['WebServerModified']);
    });

    describe('without EAB profiling (header_info_list only)', () => {
      let plain: AcmeStack;
      beforeAll(async () => {
        await writeFile(join(dir, 'plain.json'), JSON.stringify({ template: 'WebServer', header_info_list: ['HTTP_USER_AGENT'] }));
        plain = await startAcmeStack(database, { ACME_POLICY_FILE: join(dir, 'plain.json') });
      });
      afterAll(async () => {
        await plain?.close();
      });
      const on =
        <T>(fn: () => Promise<T>) =>
        async () => {
          const saved = stack;
          stack = plain;
          orders = new AcmeOrderRepository(plain.runtime.database);
          try {
            return await fn();
          } finally {
            stack = saved;
            orders = new AcmeOrderRepository(saved.runtime.database);
          }
        };
      it(
        "takes template= from THIS finalize request's User-Agent, stores it on the order, and the next request without one gets the default (acme2certifier #190)",
        on(async () => {
          const sut = await client();
          const before = await decisions('allow', 'template.header');
          const first = await readyOrder(sut, ['ua1.example.test']);
          const res1 = await finalize(sut, first, ['ua1.example.test'], 'lego-cli/4.21 xenolf-acme/4.21 (release; linux; amd64) template=Machine');
          expect(res1.status).toBe(200);
          const second = await readyOrder(sut, ['ua2.example.test']);
          const res2 = await finalize(sut, second, ['ua2.example.test'], 'lego-cli/4.21');
          expect(res2.status).toBe(200);
          expect((await orders.getOrder(orderId(res1)))?.enrollment?.template).toBe('Machine');
          expect((await orders.getOrder(orderId(res2)))?.enrollment?.template).toBe('WebServer');
          expect(jobsOf(orderId(res1)).map((j) => j.template)).toEqual(['Machine']);
          expect(jobsOf(orderId(res2)).map((j) => j.template)).toEqual(['WebServer']);
          expect(await decisions('allow', 'template.header')).toBe(before + 1);
        }),
      );

      it(
        'resubmits after a transient CA failure with the template fixed at finalize, though the polls carry no header',
        on(async () => {
          const sut = await client();
          const ready = await readyOrder(sut, ['flaky.example.test']);
          const res = await finalize(sut, ready, ['flaky.example.test'], 'test template=Flaky');
          const valid = await sut.pollUntil(res.headers.get('location') as string, ['processing']);
          expect(valid.body['status']).toBe('valid');
          const jobs = jobsOf(orderId(res));
          expect(jobs.length).toBeGreaterThanOrEqual(2);
          expect(new Set(jobs.map((j) => j.template))).toEqual(new Set(['Flaky']));
        }),
      );
    });

    it.each([
      ['keyid_00', undefined, 'WebServerModified', 'template.eab_list_default'],
      ['keyid_00', 'x template=WebServer', 'WebServer', 'template.eab_list_choice'],
      ['keyid_01', 'x template=User', 'WebServerModified', 'template.eab_forced'],
      ['keyid_02', undefined, 'WebServer', 'template.default'],
      ['keyid_03', undefined, 'WebServer', 'template.default'],
    ])("enrolls %s's order (User-Agent %j) with template %s", async (kid, userAgent, template, rule) => {
      const sut = await client(kid);
      const before = await decisions('allow', rule);
      const ready = await readyOrder(sut, ['www.example.org']);
      const res = await finalize(sut, ready, ['www.example.org'], userAgent);
      expect(res.status).toBe(200);
      expect(jobsOf(orderId(res)).map((j) => j.template)).toEqual([template]);
      expect(await decisions('allow', rule)).toBe(before + 1);
    });

    it.each([
      ['keyid_00', 'x template=User', 'template "User" is not allowed'],
      ['keyid_02', 'x template=User', 'header_info field "template" is not allowed by profile'],
    ])("refuses %s's header template (%j) with acme2certifier's reason, leaving the order ready", async (kid, userAgent, reason) => {
      const sut = await client(kid);
      const ready = await readyOrder(sut, ['www.example.com']);
      const res = await finalize(sut, ready, ['www.example.com'], userAgent);
      expect([res.status, res.body['type']]).toEqual([403, `${P}unauthorized`]);
      expect(res.body['detail']).toContain(reason);
      expect((await sut.post(ready.headers.get('location') as string, '')).body['status']).toBe('ready');
    });

    it("puts a kid's ca_pool and ca_name into the EnrollJob", async () => {
      const sut = await client('kid-pool');
      const ready = await readyOrder(sut, ['pool.example.test']);
      const res = await finalize(sut, ready, ['pool.example.test']);
      expect(res.status).toBe(200);
      expect(jobsOf(orderId(res))).toEqual([expect.objectContaining({ template: 'WebServer', caPool: 'issuing', caName: 'Corp-CA2' })]);
      expect((await orders.getOrder(orderId(res)))?.enrollment).toEqual({ template: 'WebServer', caPool: 'issuing', caName: 'Corp-CA2', attributes: {} });
    });

    it('follows the key file without a restart: a removed kid loses its rights, an added kid can bind', async () => {
      const gone = await client('kid-gone');
      expect((await gone.newOrder([{ type: 'dns', value: 'gone.example.test' }])).status).toBe(201);
      const added = { 'kid-new': { hmac: Buffer.from('kid-new MAC key of thirty-two bytes!').toString('base64url') } };
      const { 'kid-gone': _removed, ...rest } = EXTRA_KIDS;
      await writeKeyFile({ ...SEED, ...rest, ...added });
      const deadline = Date.now() + 10_000;
      let res = await gone.newOrder([{ type: 'dns', value: 'gone.example.test' }]);
      while (res.status === 201 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        res = await gone.newOrder([{ type: 'dns', value: 'gone.example.test' }]);
      }
      expect([res.status, res.body['type']]).toEqual([403, `${P}unauthorized`]);
      expect(res.body['detail']).toContain('no longer in the EAB key file');

      const fresh = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
      const url = fresh.directory['newAccount'] as string;
      const bound = await fresh.newAccount({
        termsOfServiceAgreed: true,
        externalAccountBinding: eabJws('kid-new', macKey(added['kid-new'].hmac), fresh.key.jwk, url),
      });
      expect(bound.status).toBe(201);
      const other = await new AcmeTestClient(stack.directoryUrl, stack.baseUrl).init();
      const refused = await other.newAccount({
        termsOfServiceAgreed: true,
        externalAccountBinding: eabJws('kid-gone', macKey(EXTRA_KIDS['kid-gone'].hmac), other.key.jwk, other.directory['newAccount'] as string),
      });
      expect([refused.status, refused.body['type']]).toEqual([403, `${P}unauthorized`]);
      await writeKeyFile({ ...SEED, ...EXTRA_KIDS });
    });
  });
});
