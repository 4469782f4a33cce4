import { parsePolicyConfig } from './config/policy-config.js';
import { parseKeyProfileFile } from './eab/key-profile.js';
import { Policy } from './policy.js';
import { csr, seedKeyFileText } from './testing/fixtures.js';

const seedKids = parseKeyProfileFile(seedKeyFileText());
const source = { profile: (kid: string) => seedKids.profiles.get(kid) };
const dns = (value: string) => ({ type: 'dns', value });

/** acme_srv.cfg of docs/mswcce.md with EAB profiling on, and the seed's key file. */
const policy = new Policy(
  parsePolicyConfig({
    template: 'WebServer',
    allowed_domainlist: ['example.com', '*.example2.com'],
    header_info_list: ['HTTP_USER_AGENT'],
    profiles: { WebServerModified: 'http://foo.bar/WebServerModified', User: 'http://foo.bar/User' },
    eab_profiling: true,
    eab_key_file: '/etc/enrollgate/kid_profiles.json',
    eab_strict_mode: true,
  }),
  source,
);

describe(Policy.name, () => {
  describe('newOrder, per seed kid', () => {
    it.each([
      // keyid_00/01 restrict to www.example.com, www.example.org, *.acme; keyid_02 to the first two
      ['keyid_00', [dns('www.example.org'), dns('host.acme')], undefined, 'allow', 'profile.none'],
      ['keyid_00', [dns('example.com')], undefined, 'reject', 'eab.allowed_domainlist'],
      ['keyid_00', [dns('www.example.com')], 'WebServer', 'allow', 'profile.eab_list'],
      ['keyid_00', [dns('www.example.com')], 'User', 'reject', 'profile.eab_not_allowed'],
      ['keyid_01', [dns('a.b.acme')], 'User', 'allow', 'profile.eab_forced'],
      ['keyid_02', [dns('www.example.org')], undefined, 'allow', 'profile.none'],
      ['keyid_02', [dns('host.acme')], undefined, 'reject', 'eab.allowed_domainlist'],
      ['keyid_03', [dns('example.com'), dns('x.example2.com')], undefined, 'allow', 'profile.none'],
      ['keyid_03', [dns('www.example.org')], undefined, 'reject', 'order.allowed_domainlist'],
      ['keyid_03', [dns('example.com')], 'User', 'allow', 'profile.offered'],
      ['(no kid)', [dns('example.com')], 'Nope', 'reject', 'profile.unknown'],
    ])('%s orders %j with profile %s: %s by %s', (kid, identifiers, profile, decision, rule) => {
      const sut = policy.newOrder({ identifiers, ...(profile ? { profile } : {}), eabKid: kid.startsWith('keyid') ? kid : null });
      expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision, rule });
    });

    it('rejects with rejectedIdentifier and a subproblem per name, and lists every check for metrics', () => {
      const sut = policy.newOrder({ identifiers: [dns('www.example.com'), dns('evil.example'), dns('also.evil.example')], eabKid: 'keyid_02' });
      expect(sut.decision).toBe('reject');
      if (sut.decision !== 'reject') return;
      expect(sut.problem.type).toBe('urn:ietf:params:acme:error:rejectedIdentifier');
      expect(sut.problem.subproblems?.map((s) => s.identifier.value)).toEqual(['evil.example', 'also.evil.example']);
      expect(sut.decisions).toEqual([{ decision: 'reject', rule: 'eab.allowed_domainlist' }]);
    });
  });

  describe('enrollment, per seed kid', () => {
    it.each([
      ['keyid_00', 'www.example.com', {}, 'allow', 'WebServerModified'],
      ['keyid_00', 'www.example.com', { 'user-agent': 'lego template=WebServer' }, 'allow', 'WebServer'],
      ['keyid_00', 'www.example.com', { 'user-agent': 'lego template=User' }, 'reject', 'template.eab_list_not_allowed'],
      ['keyid_01', 'www.example.org', { 'user-agent': 'lego template=User' }, 'allow', 'WebServerModified'],
      ['keyid_02', 'www.example.org', {}, 'allow', 'WebServer'],
      ['keyid_02', 'www.example.org', { 'user-agent': 'certbot template=User' }, 'reject', 'template.eab_header_not_allowed'],
      ['keyid_02', 'host.acme', {}, 'reject', 'csr.eab_allowed_domainlist'],
      ['keyid_03', 'x.example2.com', {}, 'allow', 'WebServer'],
      ['keyid_03', 'www.example.org', {}, 'reject', 'csr.allowed_domainlist'],
    ])('%s, CN=%s, headers %j: %s %s', async (kid, cn, headers, decision, templateOrRule) => {
      const info = await csr(`CN=${cn}`, [{ type: 'dns', value: cn }]);
      const sut = policy.enrollment({ protocol: 'acme', csr: info, eabKid: kid, headers });
      expect(sut.decision).toBe(decision);
      if (sut.decision === 'allow') expect(sut.enrollment.template).toBe(templateOrRule);
      else expect(sut.rule).toBe(templateOrRule);
    });

    it('returns the enrollment parameters and every check it made', async () => {
      const info = await csr('CN=www.example.com', [{ type: 'dns', value: 'www.example.com' }]);
      const sut = policy.enrollment({ protocol: 'acme', csr: info, eabKid: 'keyid_00', orderProfile: 'WebServer' });
      expect(sut).toEqual({
        decision: 'allow',
        rule: 'template.eab_list_choice',
        decisions: [
          { decision: 'allow', rule: 'csr.names_allowed' },
          { decision: 'allow', rule: 'key.allowed' },
          { decision: 'allow', rule: 'template.eab_list_choice' },
          { decision: 'allow', rule: 'san_attribute.disabled' },
        ],
        enrollment: { template: 'WebServer', templateSource: 'eab', attributes: {} },
      });
    });

    it('rejects a key below the protocol policy', async () => {
      const info = { commonName: 'example.com', sans: [], publicKey: { type: 'rsa' as const, bits: 1024 } };
      const sut = policy.enrollment({ protocol: 'acme', csr: info });
      expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision: 'reject', rule: 'key.rsa_min_bits' });
      const scep = policy.enrollment({
        protocol: 'scep',
        csr: info,
        keyPolicy: { rsaMinBits: 1024, rsaMaxBits: 4096, curves: [] },
        defaultTemplate: 'IPSECIntermediateOffline',
      });
      expect(scep.decision === 'allow' && scep.enrollment.template).toBe('IPSECIntermediateOffline');
    });
  });

  it('routes a kid to its CA pool and CA name', async () => {
    const kids = parseKeyProfileFile(
      JSON.stringify({ emea: { hmac: 'YWJj', cahandler: { template: 'WebServer', ca_pool: 'emea', ca_name: 'EMEA Issuing CA' } } }),
    );
    const sut = new Policy(parsePolicyConfig({ eab_profiling: true, eab_key_file: '/k.json' }), { profile: (k) => kids.profiles.get(k) });
    const info = await csr('CN=a.example');
    const result = sut.enrollment({ protocol: 'acme', csr: info, eabKid: 'emea' });
    expect(result.decision === 'allow' && result.enrollment).toEqual({
      template: 'WebServer',
      templateSource: 'eab',
      caPool: 'emea',
      caName: 'EMEA Issuing CA',
      attributes: {},
    });
  });

  it('withdraws an account whose kid left the key file (acme2certifier would drop its restrictions instead)', async () => {
    expect(policy.newOrder({ identifiers: [dns('example.com')], eabKid: 'keyid_99' })).toMatchObject({ decision: 'reject', rule: 'eab.unknown_kid' });
    const info = await csr('CN=example.com');
    expect(policy.enrollment({ protocol: 'acme', csr: info, eabKid: 'keyid_99' })).toMatchObject({
      decision: 'reject',
      rule: 'eab.unknown_kid',
      decisions: [{ decision: 'reject', rule: 'eab.unknown_kid' }],
    });
  });

  it('ignores kid profiles while eab_profiling is off (acme2certifier)', () => {
    const sut = new Policy(parsePolicyConfig({ template: 'WebServer' }), source);
    expect(sut.kidProfile('keyid_02')).toBeUndefined();
    expect(sut.newOrder({ identifiers: [dns('anything.example')], eabKid: 'keyid_02' }).decision).toBe('allow');
  });

  it('adds the SAN attribute only when the operator enabled it', async () => {
    const info = await csr('CN=a.example', [{ type: 'dns', value: 'a.example' }]);
    const on = new Policy(parsePolicyConfig({ template: 'WebServer', san_request_attribute: true }));
    const result = on.enrollment({ protocol: 'scep', csr: info });
    expect(result.decision === 'allow' && result.enrollment.attributes).toEqual({ SAN: 'dns=a.example' });
  });

  it('advertises profiles and the key policy of a profile', () => {
    expect(policy.directoryProfiles()).toEqual({ WebServerModified: 'http://foo.bar/WebServerModified', User: 'http://foo.bar/User' });
    const p = new Policy(parsePolicyConfig({ profiles: { big: { template: 'WebServer', rsa_min_bits: 4096 } } }));
    expect(p.keyPolicyFor('acme', 'big').rsaMinBits).toBe(4096);
    expect(p.keyPolicyFor('acme', null).rsaMinBits).toBe(2048);
    expect(policy.eabRequired).toBe(true);
  });
});
