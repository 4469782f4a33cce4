import { canonicalIp, challengeTypesFor, dnsNameProblem, parseIdentifiers } from './identifiers.js';

describe(parseIdentifiers.name, () => {
  it('lower-cases, merges duplicates and splits wildcards into the authorized base name', () => {
    const sut = parseIdentifiers([
      { type: 'dns', value: 'WWW.Example.com' },
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: '*.example.com' },
      { type: 'ip', value: '2001:DB8:0:0::1' },
    ]);
    expect(sut).toEqual([
      { identifier: { type: 'dns', value: 'www.example.com' }, authzValue: 'www.example.com', wildcard: false },
      { identifier: { type: 'dns', value: '*.example.com' }, authzValue: 'example.com', wildcard: true },
      { identifier: { type: 'ip', value: '2001:db8::1' }, authzValue: '2001:db8::1', wildcard: false },
    ]);
    expect(sut.map(challengeTypesFor)).toEqual([['http-01', 'dns-01', 'tls-alpn-01'], ['dns-01'], ['http-01', 'tls-alpn-01']]);
  });
});

describe(dnsNameProblem.name, () => {
  it.each(['example', 'a..example.com', '-a.example.com', 'a.example.com.', 'exa mple.com', 'a.b.123', '10.0.0.1', `${'a'.repeat(64)}.com`])(
    'refuses %j',
    (name) => {
      expect(dnsNameProblem(name)).toEqual(expect.any(String));
    },
  );
  it.each(['example.com', 'xn--bcher-kva.example', 'a-b.c-d.example'])('accepts %j', (name) => {
    expect(dnsNameProblem(name)).toBeUndefined();
  });
});

describe(canonicalIp.name, () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['010.0.0.1', undefined],
    ['::FFFF:1.2.3.4', '::ffff:102:304'],
    ['fe80::1%eth0', undefined],
  ])('%s → %s', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });
});
