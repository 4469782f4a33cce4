/**
 * SCEP_POLICY_FILE (libs/policy, the file acme-api reads) applied at PKIOperation, on real Redis
 * and SQLite/PostgreSQL with the stand-in CA worker on the real queues: the CSR's CN and SANs
 * against allowed_domainlist / allowed_iplist / wildcard_certificate_disable / identifier_limit,
 * the profile's key policy, the profile's NDES template as the default, the SAN request attribute
 * in the EnrollJob; a rejection is FAILURE badRequest and leaves a one-time challenge unused;
 * every decision is counted on the app's /metrics.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootFrontend } from '@enrollgate/enrollment';
import { boundPort } from '@enrollgate/platform';
import { parseCertificate, scep, type SanEntry } from '@enrollgate/pki';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { withDatabases } from '../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { loadScepConfig } from '../src/config.js';
import { RaService } from '../src/ra/ra.service.js';
import { ScepModule, configureScep } from '../src/scep.module.js';
import { FakeCaWorker } from './support/fake-ca-worker.js';
import { TestScepClient, type CaCerts } from './support/scep-client.js';

const databases = await withDatabases();

const POLICY = `
allowed_domainlist: ["*.example.com", "*.corp.example"]
allowed_iplist: ["10.0.0.0/8"]
identifier_limit: 3
wildcard_certificate_disable: true
san_request_attribute: true
key_policy:
  scep: { rsa_min_bits: 2048 }
`;

describe.each(databases)('SCEP_POLICY_FILE on $name', ({ open }) => {
  let dir: string;
  let cleanupDb: () => Promise<void>;
  let redis: TestRedis;
  let worker: FakeCaWorker;
  let app: NestFastifyApplication;
  let base: string;
  let ca: CaCerts;
  const admin = 'Basic ' + Buffer.from('fleet:fleet-pw').toString('base64');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-scep-policy-'));
    const db = await open();
    cleanupDb = db.cleanup;
    const handle = openDatabase(db.url);
    await migrateToLatest(handle);
    await handle.close();
    redis = await openTestRedis();
    worker = await FakeCaWorker.start(redis.url, redis.prefix);
    await writeFile(join(dir, 'policy.yaml'), POLICY);
    await writeFile(join(dir, 'profiles.yaml'), 'profiles:\n  strong:\n    minRsaBits: 3072\n    template: StrongDevices\n');
    const config = loadScepConfig({
      SCEP_LISTEN: '127.0.0.1:0',
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      QUEUE_PREFIX: redis.prefix,
      LOG_LEVEL: 'error',
      SCEP_RA_DIR: join(dir, 'ra'),
      SCEP_ADMIN_USER: 'fleet',
      SCEP_ADMIN_PASSWORD: 'fleet-pw',
      SCEP_PROFILES_FILE: join(dir, 'profiles.yaml'),
      SCEP_POLICY_FILE: join(dir, 'policy.yaml'),
      SCEP_TEMPLATE_GENERAL_PURPOSE: 'DeviceGeneral',
      SCEP_WAIT_SECONDS: '10',
    });
    ({ app } = await bootFrontend({
      app: 'scep-api',
      protocol: 'scep',
      config,
      listen: config.SCEP_LISTEN,
      imports: [ScepModule.forRoot(config)],
      configure: (a) => configureScep(a, config),
    }));
    await app.get(RaService).whenReady(30_000);
    base = `http://127.0.0.1:${boundPort(app)}`;
    ca = await new TestScepClient(`${base}/scep`).getCaCert();
  });
  afterAll(async () => {
    await app?.close();
    await worker?.close();
    await redis?.cleanup();
    await cleanupDb?.();
    await rm(dir, { recursive: true, force: true });
  });

  const mintChallenge = async () => {
    const r = await fetch(`${base}/api/scep/challenges`, { method: 'POST', headers: { authorization: admin, 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(201);
    return ((await r.json()) as { challenge: string }).challenge;
  };
  const enroll = async (subject: string, sans: SanEntry[] = [], challenge?: string, path = '/scep', modulusLength = 2048) => {
    const c = new TestScepClient(`${base}${path}`, { modulusLength });
    const rep = await c.pkcsReq(ca, await c.csr({ subject, sans, challenge: challenge ?? (await mintChallenge()) }));
    return { rep, job: worker.jobs.find((j) => j.requestKey.endsWith(c.transactionId)) };
  };
  const metric = async (decision: string, rule: string): Promise<number> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('enrollgate_policy_decisions_total{') && l.includes(`decision="${decision}"`) && l.includes(`rule="${rule}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('allowed CN and SANs: SUCCESS; the job has the profile template and the SAN attribute (san_request_attribute)', async () => {
    const { rep, job } = await enroll('CN=host.example.com', [
      { type: 'dns', value: 'www.corp.example' },
      { type: 'ip', value: '10.1.2.3' },
    ]);
    expect(rep.status).toBe('SUCCESS');
    expect(parseCertificate(rep.certificates[0]!).subject).toBe('CN=host.example.com');
    expect(job?.template).toBe('DeviceGeneral');
    expect(job?.attributes).toEqual({ SAN: 'dns=www.corp.example&ipaddress=10.1.2.3' });
    expect(await metric('allow', 'csr.names_allowed')).toBeGreaterThan(0);
  });

  it.each([
    ['a CN outside allowed_domainlist', 'CN=evil.other.test', [], 'csr.allowed_domainlist', 'not allowed'],
    ['a SAN outside allowed_domainlist', 'CN=host.example.com', [{ type: 'dns', value: 'evil.other.test' }], 'csr.allowed_domainlist', 'evil.other.test'],
    ['an IP outside allowed_iplist', 'CN=host.example.com', [{ type: 'ip', value: '192.0.2.1' }], 'csr.allowed_iplist', '192.0.2.1'],
    ['a wildcard (wildcard_certificate_disable)', 'CN=*.corp.example', [], 'csr.wildcard_certificate_disable', 'Wildcard'],
    [
      'more names than identifier_limit',
      'CN=a.example.com',
      ['b', 'c', 'd'].map((n) => ({ type: 'dns', value: `${n}.example.com` })),
      'order.identifier_limit',
      'identifier limit',
    ],
  ] as [string, string, SanEntry[], string, string][])(
    '%s → FAILURE badRequest, the one-time challenge still unused',
    async (_n, subject, sans, rule, text) => {
      const before = await metric('reject', rule);
      const challenge = await mintChallenge();
      const { rep, job } = await enroll(subject, sans, challenge);
      expect([rep.status, rep.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
      expect(rep.failInfoText).toContain(text);
      expect(job).toBeUndefined();
      expect(await metric('reject', rule)).toBe(before + 1);
      // a refused request did not consume the challenge: an allowed one still enrolls with it
      const ok = await enroll('CN=device.example.com', [], challenge);
      expect(ok.rep.status).toBe('SUCCESS');
    },
  );

  it("the profile's key policy: 2048-bit RSA refused by profile strong (minRsaBits 3072), whose template is its own", async () => {
    const refused = await enroll('CN=weak.example.com', [], undefined, '/scep/strong');
    expect([refused.rep.status, refused.rep.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
    expect(refused.rep.failInfoText).toContain('at least 3072');
    expect(await metric('reject', 'key.rsa_min_bits')).toBeGreaterThan(0);
    const ok = await enroll('CN=strong.example.com', [], undefined, '/scep/strong', 3072);
    expect(ok.rep.status).toBe('SUCCESS');
    expect(ok.job?.template).toBe('StrongDevices');
  }, 60_000);
});
