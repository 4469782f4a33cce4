import { RequestAttributes, parseSanAttribute } from './attributes.js';

describe(RequestAttributes.name, () => {
  it.each([
    ['a2c form', 'CertificateTemplate:WebServer', 'WebServer'],
    ['Certipy form with SAN', 'CertificateTemplate:User\nSAN:upn=a@b', 'User'],
    ['CRLF and blanks', 'Certificate Template : WebServer \r\nother:1', 'WebServer'],
    ['minus in the name', 'Certificate-Template:Machine', 'Machine'],
    ['case-insensitive name', 'certificatetemplate:Machine', 'Machine'],
    ['trailing NUL from the UTF-16 blob', 'CertificateTemplate:WebServer\0', 'WebServer'],
    ['last duplicate wins', 'CertificateTemplate:A\nCertificateTemplate:B', 'B'],
    ['lines without a colon dropped', 'garbage\nCertificateTemplate:X', 'X'],
    ['value with a colon', 'CertificateTemplate:a:b', 'a:b'],
    ['absent', 'SAN:dns=x', undefined],
  ])('reads the template from %s', (_name, text, expected) => {
    expect(RequestAttributes.parse(text).get('CertificateTemplate')).toBe(expected);
  });

  it('lets attribute text win over CSR name/value pairs', () => {
    const sut = RequestAttributes.parse('ValidityPeriodUnits:10');
    sut.setDefault('ValidityPeriodUnits', '99');
    sut.setDefault('ValidityPeriod', 'Days');
    expect(sut.toJSON()).toEqual({
      ValidityPeriodUnits: '10',
      ValidityPeriod: 'Days',
    });
  });
});

describe(parseSanAttribute.name, () => {
  it('reads Certipy-style SAN attributes', () => {
    expect(parseSanAttribute('dns=a.example.com&upn=admin@corp.example&ipaddress=10.0.0.1&email=x@y.z&url=https://a/b&guid=1')).toEqual([
      { type: 'dns', value: 'a.example.com' },
      { type: 'upn', value: 'admin@corp.example' },
      { type: 'ip', value: '10.0.0.1' },
      { type: 'email', value: 'x@y.z' },
      { type: 'uri', value: 'https://a/b' },
    ]);
  });
});
