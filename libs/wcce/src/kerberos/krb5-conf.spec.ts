import { parseKrb5Conf } from './krb5-conf.js';

describe(parseKrb5Conf.name, () => {
  it('reads default_realm and the KDCs of each realm (the krb5.conf samba-ad-dc.sh and mit-kdc.sh write)', () => {
    const sut = parseKrb5Conf(`[libdefaults]
    default_realm = TEST.LOCAL
    dns_lookup_kdc = false   # comment
[realms]
    TEST.LOCAL = {
        kdc = 127.0.0.1:36009
        kdc = dc2.test.local
        kpasswd_server = 127.0.0.1:464
    }
    corp.example = {
        kdc = [fd00::1]:88
    }
[domain_realm]
    .test.local = TEST.LOCAL
`);
    expect(sut.defaultRealm).toBe('TEST.LOCAL');
    expect(sut.kdcs.get('TEST.LOCAL')).toEqual([{ host: '127.0.0.1', port: 36009 }, { host: 'dc2.test.local' }]);
    expect(sut.kdcs.get('CORP.EXAMPLE')).toEqual([{ host: 'fd00::1', port: 88 }]);
  });
});
