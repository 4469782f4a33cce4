import { IpAllowList } from './ip-list.js';

describe(IpAllowList.name, () => {
  // acme2certifier docs/acme_srv.md example list, plus IPv6
  const list = ['10.0.0.0/8', '192.168.123.1', '172.16.0.25/32', '2001:db8::/32'];
  const cases: Array<[ip: string, allowed: boolean]> = [
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.123.1', true],
    ['192.168.123.2', false],
    ['172.16.0.25', true],
    ['172.16.0.26', false],
    ['2001:db8::1', true],
    ['2001:db9::1', false],
    ['not-an-ip', false],
  ];

  it.each(cases)('%s allowed: %s', (ip, allowed) => {
    const sut = IpAllowList.parse(list);
    expect(sut.allows(ip)).toBe(allowed);
  });

  it('ignores host bits of a network, as ip_network(strict=False) does', () => {
    const sut = IpAllowList.parse(['10.1.2.3/8']);
    expect(sut.allows('10.200.0.1')).toBe(true);
  });

  it('restricts nothing when empty', () => {
    const sut = IpAllowList.parse([]);
    expect(sut.restricts).toBe(false);
    expect(sut.allows('203.0.113.9')).toBe(true);
  });

  it('reports bad entries, which match nothing', () => {
    const sut = IpAllowList.parse(['10.0.0.0/33', 'ten.0.0.1', '::1/129']);
    expect(sut.problems).toEqual([
      'allowed_iplist: "10.0.0.0/33" has a bad prefix length',
      'allowed_iplist: "ten.0.0.1" is not an IP address or CIDR network',
      'allowed_iplist: "::1/129" has a bad prefix length',
    ]);
    expect(sut.restricts).toBe(true);
    expect(sut.allows('10.0.0.1')).toBe(false);
  });
});
