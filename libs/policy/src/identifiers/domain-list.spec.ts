import { DomainAllowList, normaliseDomain, parseDomainPattern } from './domain-list.js';

describe(DomainAllowList.name, () => {
  // acme2certifier helpers/domain_utils.py semantics (is_domain_whitelisted), one row per case
  const cases: Array<[list: string[], name: string, allowed: boolean, why: string]> = [
    [['example.com'], 'example.com', true, 'exact entry, exact name'],
    [['example.com'], 'EXAMPLE.com', true, 'case-insensitive'],
    [['example.com'], 'example.com.', true, 'trailing dot ignored'],
    [['example.com'], 'www.example.com', false, 'an exact entry allows no subdomain'],
    [['example.com'], '*.example.com', false, 'an exact entry allows no wildcard name'],
    [['*.example.com'], 'www.example.com', true, 'suffix entry, one label below'],
    [['*.example.com'], 'a.b.example.com', true, 'suffix entry, any depth'],
    [['*.example.com'], 'example.com', false, 'suffix entry never allows its base'],
    [['*.example.com'], '*.example.com', true, 'wildcard name at the suffix'],
    [['*.example.com'], '*.a.example.com', true, 'wildcard name below the suffix'],
    [['*.example.com'], 'www.badexample.com', false, 'label boundary'],
    [['*.example.com'], '*.badexample.com', false, 'label boundary for wildcards (acme2certifier would allow: plain endswith)'],
    [['*.example.com'], 'www.example.com.evil.org', false, 'suffix, not substring (the old kid_profile_handler regex search allowed it)'],
    [['*.example.com'], 'wwwXexample.com', false, 'the dot is not a regex wildcard'],
    [['*.bücher.de'], 'shop.xn--bcher-kva.de', true, 'IDNA: unicode entry, punycode name'],
    [['*.xn--bcher-kva.de'], 'shop.bücher.de', true, 'IDNA: punycode entry, unicode name'],
    [['*.acme'], 'www.acme', true, 'single-label suffix (the seed uses "*.acme")'],
    [['www.example.com', '*.acme'], 'www.example.org', false, 'no entry matches'],
    [[], 'anything.example', true, 'an empty list restricts nothing'],
    [['', 'www.example.com'], 'other.example.com', false, 'an empty entry matches nothing'],
    [['*.'], 'example.com', false, 'a bare "*." matches nothing'],
    [['exa mple.com'], 'exa mple.com', false, 'an invalid entry matches nothing'],
  ];

  it.each(cases)('%j allows %s: %s (%s)', (list, name, allowed) => {
    const sut = DomainAllowList.parse(list);
    expect(sut.allows(name)).toBe(allowed);
  });

  it('reports bad entries and keeps the list restrictive', () => {
    const sut = DomainAllowList.parse(['', 'exa mple.com', '*.-']);
    expect(sut.problems).toEqual([
      'allowed_domainlist: empty entry',
      'allowed_domainlist: "exa mple.com" is not a DNS name or "*.<domain>"',
      'allowed_domainlist: "*.-" is not "*." followed by a DNS name',
    ]);
    expect(sut.restricts).toBe(true);
    expect(sut.allows('example.com')).toBe(false);
  });

  it('names the entry that matched', () => {
    const sut = DomainAllowList.parse(['www.example.com', '*.example.org']);
    expect(sut.match('a.example.org')).toBe('*.example.org');
    expect(sut.match('www.example.com')).toBe('www.example.com');
    expect(sut.match('example.org')).toBeUndefined();
  });
});

describe(normaliseDomain.name, () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['host.', 'host'],
    ['', undefined],
    ['a b.com', undefined],
    ['a..b', undefined],
  ])('%s → %s', (input, expected) => {
    expect(normaliseDomain(input)).toBe(expected);
  });
});

describe(parseDomainPattern.name, () => {
  it.each([
    ['*.Example.com', { entry: '*.Example.com', kind: 'suffix', base: 'example.com' }],
    ['host.example.com', { entry: 'host.example.com', kind: 'exact', name: 'host.example.com' }],
  ])('%s', (entry, expected) => {
    expect(parseDomainPattern(entry)).toEqual(expected);
  });
});
