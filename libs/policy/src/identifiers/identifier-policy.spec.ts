import { rules } from '../testing/fixtures.js';
import { DomainAllowList } from './domain-list.js';
import { checkIdentifiers } from './identifier-policy.js';
import { withOverrides } from './identifier-rules.js';
import { IpAllowList } from './ip-list.js';

const dns = (value: string) => ({ type: 'dns', value });
const ip = (value: string) => ({ type: 'ip', value });

describe(checkIdentifiers.name, () => {
  const restricted = rules({ allowedDomainlist: ['www.example.com', '*.example.org'], allowedIplist: ['10.0.0.0/8'] });

  it.each([
    ['no restriction', rules(), [dns('a.example'), ip('203.0.113.1'), dns('*.b.example')], 'allow', 'order.identifiers_allowed'],
    ['listed names', restricted, [dns('www.example.com'), dns('x.example.org'), ip('10.9.9.9')], 'allow', 'order.identifiers_allowed'],
    ['a name outside the list', restricted, [dns('www.example.com'), dns('evil.example.net')], 'reject', 'order.allowed_domainlist'],
    ['an IP outside the list', restricted, [ip('192.0.2.1')], 'reject', 'order.allowed_iplist'],
    ['a wildcard when disabled', rules({ wildcardCertificateDisable: true }), [dns('*.example.com')], 'reject', 'order.wildcard_certificate_disable'],
    ['an unsupported type', rules(), [{ type: 'email', value: 'a@example.com' }], 'reject', 'order.identifier_type'],
    ['too many identifiers', rules({ identifierLimit: 2 }), [dns('a.example'), dns('b.example'), dns('c.example')], 'reject', 'order.identifier_limit'],
    ['exactly the limit', rules({ identifierLimit: 2 }), [dns('a.example'), dns('b.example')], 'allow', 'order.identifiers_allowed'],
  ])('%s', (_case, r, identifiers, decision, rule) => {
    const sut = checkIdentifiers(identifiers, r);
    expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision, rule });
  });

  it('gives every rejected identifier its own subproblem (RFC 8555 §6.7.1), with acme2certifier texts', () => {
    const sut = checkIdentifiers([dns('www.example.com'), dns('evil.example.net'), ip('192.0.2.1'), dns('x.example.org')], restricted);
    expect(sut.decision).toBe('reject');
    if (sut.decision !== 'reject') return;
    expect(sut.problem).toEqual({
      type: 'urn:ietf:params:acme:error:rejectedIdentifier',
      detail: 'FQDN/SAN evil.example.net not allowed by configuration (and 1 more, see subproblems)',
      subproblems: [
        {
          type: 'urn:ietf:params:acme:error:rejectedIdentifier',
          detail: 'FQDN/SAN evil.example.net not allowed by configuration',
          identifier: dns('evil.example.net'),
        },
        { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'IP address 192.0.2.1 not allowed by configuration', identifier: ip('192.0.2.1') },
      ],
    });
    expect(sut.results.map((r) => r.decision)).toEqual(['allow', 'reject', 'reject', 'allow']);
    expect(sut.results[3]?.matched).toBe('*.example.org');
  });

  it('says "not allowed" for a wildcard (acme2certifier text)', () => {
    const sut = checkIdentifiers([dns('*.example.com')], rules({ wildcardCertificateDisable: true }));
    expect(sut.decision === 'reject' && sut.problem.detail).toBe('Wildcard identifier *.example.com not allowed');
  });

  it('states the limit', () => {
    const sut = checkIdentifiers([dns('a.example'), dns('b.example')], rules({ identifierLimit: 1 }));
    expect(sut.decision === 'reject' && sut.problem).toEqual({
      type: 'urn:ietf:params:acme:error:rejectedIdentifier',
      detail: 'identifier limit exceeded: 2 identifiers, at most 1 per order',
    });
  });

  it('uses unsupportedIdentifier when every rejection is a type', () => {
    const sut = checkIdentifiers([{ type: 'tnauthlist', value: 'x' }], rules());
    expect(sut.decision === 'reject' && sut.problem.type).toBe('urn:ietf:params:acme:error:unsupportedIdentifier');
  });

  describe('with an EAB kid profile', () => {
    const kidRules = withOverrides(restricted, { allowedDomainlist: DomainAllowList.parse(['*.acme']), wildcardCertificateDisable: true });

    it.each([
      [[dns('www.acme')], 'allow', 'order.identifiers_allowed'],
      [[dns('www.example.com')], 'reject', 'eab.allowed_domainlist'],
      [[dns('*.acme')], 'reject', 'eab.wildcard_certificate_disable'],
      [[ip('10.1.1.1')], 'allow', 'order.identifiers_allowed'],
    ])('%j → %s by %s', (identifiers, decision, rule) => {
      const sut = checkIdentifiers(identifiers, kidRules);
      expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision, rule });
    });

    it('says "by profile" for the kid\'s list', () => {
      const sut = checkIdentifiers([dns('www.example.com')], kidRules);
      expect(sut.decision === 'reject' && sut.problem.detail).toBe('FQDN/SAN www.example.com not allowed by profile');
    });

    it('honours an explicit empty list in the kid profile (no restriction)', () => {
      const open = withOverrides(restricted, { allowedIplist: IpAllowList.parse([]) });
      expect(checkIdentifiers([ip('192.0.2.1')], open).decision).toBe('allow');
    });
  });
});
