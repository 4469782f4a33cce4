import { AcmeUrls, isAcmeRoutePath, prefixRewriter, publicPathPrefix } from './urls.js';

describe('public URL path prefix', () => {
  it.each([
    ['https://pki.example.com', ''],
    ['https://pki.example.com/', ''],
    ['https://pki.example.com/acme', '/acme'],
    ['https://pki.example.com/acme/', '/acme'],
    ['https://pki.example.com/a/b//', '/a/b'],
  ])('the prefix of %s is "%s"', (base, prefix) => {
    expect(publicPathPrefix(base)).toBe(prefix);
  });

  it('puts the prefix in front of every URL handed out', () => {
    const sut = new AcmeUrls('https://pki.example.com/acme');
    expect([sut.directory, sut.account('A'), sut.order('O'), sut.finalize('O'), sut.authz('Z'), sut.challenge('C'), sut.certificate('O')]).toEqual([
      'https://pki.example.com/acme/directory',
      'https://pki.example.com/acme/acme/acct/A',
      'https://pki.example.com/acme/acme/order/O',
      'https://pki.example.com/acme/acme/order/O/finalize',
      'https://pki.example.com/acme/acme/authz/Z',
      'https://pki.example.com/acme/acme/chall/C',
      'https://pki.example.com/acme/acme/cert/O',
    ]);
    expect(sut.accountPrefix).toBe('https://pki.example.com/acme/acme/acct/');
  });

  it('knows the ACME routes', () => {
    for (const path of ['/directory', '/acme/new-nonce', '/acme/acct/x/orders', '/acme/renewal-info/abc.def', '/acme/order/x/finalize'])
      expect(isAcmeRoutePath(path)).toBe(true);
    for (const path of ['/', '/livez', '/metrics', '/directory/x', '/acme', '/acme/new-nonces', '/new-order']) expect(isAcmeRoutePath(path)).toBe(false);
  });

  it('rewrites <prefix><route> to <route> and leaves everything else alone', () => {
    const sut = prefixRewriter('https://pki.example.com/pki')!;
    expect(sut('/pki/directory')).toBe('/directory');
    expect(sut('/pki/acme/order/1?x=y')).toBe('/acme/order/1?x=y');
    expect(sut('/directory')).toBe('/directory');
    expect(sut('/acme/new-order')).toBe('/acme/new-order');
    expect(sut('/pki/livez')).toBe('/pki/livez');
    expect(sut('/pkix/directory')).toBe('/pkix/directory');
  });

  it('tells a prefix equal to the routes’ first segment apart: /acme/acme/x is prefixed, /acme/x is not', () => {
    const sut = prefixRewriter('https://pki.example.com/acme/')!;
    expect(sut('/acme/acme/new-order')).toBe('/acme/new-order');
    expect(sut('/acme/directory')).toBe('/directory');
    expect(sut('/acme/new-order')).toBe('/acme/new-order');
    expect(sut('/acme/acct/1')).toBe('/acme/acct/1');
  });

  it('does not rewrite without a prefix', () => {
    expect(prefixRewriter('https://pki.example.com')).toBeUndefined();
    expect(prefixRewriter('http://127.0.0.1:4000/')).toBeUndefined();
  });
});
