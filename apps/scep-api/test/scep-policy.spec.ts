/**
 * SCEP_POLICY_FILE (libs/policy, the file acme-api reads) applied at PKIOperation, on real Redis
 * and SQLite/PostgreSQL with the stand-in CA worker on the real queues: the CSR's CN and SANs
 * against allowed_domainlist / allowed_iplist / wildcard_certificate_disable / identifier_limit,
 * the profile's key policy, the profile's NDES template as the default, the SAN request attribute
 * in the EnrollJob; a rejection is FAILURE badRequest and leaves a one-time challenge unused;
 * every decision is counted on the app's /metrics.
 */
import { join } from 'node:path';
import { parseCertificate, scep, type SanEntry } from '@enrollgate/pki';
import { withDatabases } from '../../../test/support/databases.js';
import { startInProcessScep, type InProcessScep } from './support/in-process.js';

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
  let api: InProcessScep;

  beforeAll(async () => {
    api = await startInProcessScep({
      open,
      dirPrefix: 'eg-scep-policy-',
      files: { 'policy.yaml': POLICY, 'profiles.yaml': 'profiles:\n  strong:\n    minRsaBits: 3072\n    template: StrongDevices\n' },
      admin: { user: 'fleet', password: 'fleet-pw' },
      env: (dir) => ({
        SCEP_PROFILES_FILE: join(dir, 'profiles.yaml'),
        SCEP_POLICY_FILE: join(dir, 'policy.yaml'),
        SCEP_TEMPLATE_GENERAL_PURPOSE: 'DeviceGeneral',
        SCEP_WAIT_SECONDS: '10',
      }),
      caPath: '/scep',
    });
  });
  afterAll(() => api?.close());

  const enroll = async (subject: string, sans: SanEntry[] = [], challenge?: string, path = '/scep', modulusLength = 2048) => {
    const c = api.client(path, { modulusLength });
    const rep = await c.pkcsReq(api.ca, await c.csr({ subject, sans, challenge: challenge ?? (await api.mintChallenge()) }));
    return { rep, job: api.worker.jobs.find((j) => j.requestKey.endsWith(c.transactionId)) };
  };
  const metric = async (decision: string, rule: string): Promise<number> => {
    const text = await (await fetch(`${api.base}/metrics`)).text();
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
      const challenge = await api.mintChallenge();
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
