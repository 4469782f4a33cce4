import { csr, rules } from '../testing/fixtures.js';
import { checkCsrNames, csrNamesOf } from './csr-names.js';
import { DomainAllowList } from './domain-list.js';
import { withOverrides } from './identifier-rules.js';

describe(csrNamesOf.name, () => {
  it('takes the CN and every SAN of a real CSR, without repeating the CN', async () => {
    const info = await csr('CN=WWW.example.com, O=Example', [
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'api.example.com' },
      { type: 'ip', value: '10.0.0.1' },
    ]);
    expect(csrNamesOf(info)).toEqual([
      { from: 'cn', type: 'dns', value: 'www.example.com' },
      { from: 'san', type: 'dns', value: 'api.example.com' },
      { from: 'san', type: 'ip', value: '10.0.0.1' },
    ]);
  });

  it('treats an IP address CN as an IP', () => {
    expect(csrNamesOf({ commonName: '10.1.2.3', sans: [] })).toEqual([{ from: 'cn', type: 'ip', value: '10.1.2.3' }]);
  });
});

describe(checkCsrNames.name, () => {
  const restricted = rules({ allowedDomainlist: ['www.example.com', '*.example.org'], allowedIplist: ['10.0.0.0/8'] });
  const names = (commonName: string | undefined, sans: Array<{ type: 'dns' | 'ip' | 'email' | 'upn' | 'uri'; value: string }>) =>
    csrNamesOf({ ...(commonName ? { commonName } : {}), sans });

  it.each([
    [
      'all listed',
      names('www.example.com', [
        { type: 'dns', value: 'a.example.org' },
        { type: 'ip', value: '10.0.0.7' },
      ]),
      'allow',
      'csr.names_allowed',
    ],
    ['a CN outside the list', names('evil.example.net', [{ type: 'dns', value: 'www.example.com' }]), 'reject', 'csr.allowed_domainlist'],
    ['a SAN outside the list', names('www.example.com', [{ type: 'dns', value: 'evil.example.net' }]), 'reject', 'csr.allowed_domainlist'],
    ['an IP SAN outside the list', names(undefined, [{ type: 'ip', value: '192.0.2.1' }]), 'reject', 'csr.allowed_iplist'],
    ['an e-mail SAN: its domain is checked', names(undefined, [{ type: 'email', value: 'ops@x.example.org' }]), 'allow', 'csr.names_allowed'],
    ['an e-mail SAN outside the list', names(undefined, [{ type: 'email', value: 'ops@evil.example' }]), 'reject', 'csr.allowed_domainlist'],
    ['a URI SAN cannot be checked', names(undefined, [{ type: 'uri', value: 'https://www.example.com/' }]), 'reject', 'csr.san_type'],
    ['a device CN that is no DNS name', names('Device 42', []), 'reject', 'csr.allowed_domainlist'],
    ['no names at all', names(undefined, []), 'reject', 'csr.no_names'],
  ])('%s', (_case, n, decision, rule) => {
    const sut = checkCsrNames(n, restricted);
    expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision, rule });
  });

  it('allows anything when no list restricts', () => {
    const sut = checkCsrNames(names('Device 42', [{ type: 'uri', value: 'urn:x' }]), rules());
    expect(sut.decision).toBe('allow');
  });

  it('uses acme2certifier\'s "Either CN or SANs" text and a subproblem per name', () => {
    const sut = checkCsrNames(
      names('evil.example.net', [
        { type: 'dns', value: 'www.example.com' },
        { type: 'ip', value: '192.0.2.1' },
      ]),
      restricted,
    );
    expect(sut.decision === 'reject' && sut.problem).toEqual({
      type: 'urn:ietf:params:acme:error:rejectedIdentifier',
      detail: 'Either CN or SANs are not allowed by configuration: CN evil.example.net not allowed by configuration (and 1 more, see subproblems)',
      subproblems: [
        {
          type: 'urn:ietf:params:acme:error:rejectedIdentifier',
          detail: 'CN evil.example.net not allowed by configuration',
          identifier: { type: 'dns', value: 'evil.example.net' },
        },
        {
          type: 'urn:ietf:params:acme:error:rejectedIdentifier',
          detail: 'SAN IP address 192.0.2.1 not allowed by configuration',
          identifier: { type: 'ip', value: '192.0.2.1' },
        },
      ],
    });
  });

  it('says "by profile" and names the eab rule for a kid\'s list', () => {
    const kid = withOverrides(restricted, { allowedDomainlist: DomainAllowList.parse(['*.acme']) });
    const sut = checkCsrNames(names('www.example.com', []), kid);
    expect(sut.rule).toBe('csr.eab_allowed_domainlist');
    expect(sut.decision === 'reject' && sut.problem.detail).toBe('Either CN or SANs are not allowed by profile: CN www.example.com not allowed by profile');
  });

  it('refuses when the kid profile restricts in a way we do not enforce', () => {
    const sut = checkCsrNames(names('www.example.com', []), restricted, ['cahandler.subject']);
    expect(sut.rule).toBe('csr.eab_unsupported_restriction');
    expect(sut.decision === 'reject' && sut.problem.type).toBe('urn:ietf:params:acme:error:unauthorized');
  });

  it('rejects a wildcard SAN when wildcard certificates are disabled', () => {
    const sut = checkCsrNames(names(undefined, [{ type: 'dns', value: '*.example.org' }]), rules({ wildcardCertificateDisable: true }));
    expect(sut.rule).toBe('csr.wildcard_certificate_disable');
  });
});
