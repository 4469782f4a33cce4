import { reverseDnsName } from './tls-alpn01.js';
import { createHash } from 'node:crypto';
import { dns01TxtValue } from './dns01.js';

describe(reverseDnsName.name, () => {
  it.each([
    ['192.0.2.5', '5.2.0.192.in-addr.arpa'],
    ['2001:db8::567:89ab', 'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'],
  ])('gives the RFC 8738 §6 SNI of %s', (ip, name) => {
    expect(reverseDnsName(ip)).toBe(name);
  });
});

describe(dns01TxtValue.name, () => {
  it('is base64url(SHA-256(key authorization)) (RFC 8555 §8.4)', () => {
    expect(dns01TxtValue('token.thumbprint')).toBe(createHash('sha256').update('token.thumbprint').digest('base64url'));
  });
});
