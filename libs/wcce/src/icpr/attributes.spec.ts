import { WcceError } from '../errors.js';
import { decodeAttributeBlob, encodeAttributeBlob, findAttribute, formatAttributes, parseAttributes, templateAttributes } from './attributes.js';

describe(formatAttributes.name, () => {
  it.each([
    ['template only', templateAttributes('WebServer'), 'CertificateTemplate:WebServer'],
    ['template and SAN', templateAttributes('User', { SAN: 'upn=a@b' }), 'CertificateTemplate:User\nSAN:upn=a@b'],
    ['empty list', [], ''],
  ])('formats %s', (_name, attrs, expected) => {
    expect(formatAttributes(attrs)).toBe(expected);
  });

  it.each([
    ['a colon in a name', [{ name: 'a:b', value: 'x' }]],
    ['a newline in a value', [{ name: 'SAN', value: 'dns=a\nCertificateTemplate:Admin' }]],
  ])('refuses %s (attribute injection)', (_name, attrs) => {
    expect(() => formatAttributes(attrs)).toThrow(WcceError);
  });
});

describe(parseAttributes.name, () => {
  it('applies the CA parsing rules (MS-WCCE 3.2.1.4.2.1.2)', () => {
    const sut = parseAttributes('Certificate-Template : WebServer \nno colon here\nSAN:dns=a.example&dns=b.example\r\n:orphan');
    expect(sut).toEqual([
      { name: 'CertificateTemplate', value: 'WebServer' },
      { name: 'SAN', value: 'dns=a.example&dns=b.example' },
    ]);
    expect(findAttribute(sut, 'certificatetemplate')).toBe('WebServer');
  });
});

describe(decodeAttributeBlob.name, () => {
  it.each([
    ['a well-formed blob', encodeAttributeBlob('CertificateTemplate:X'), { ok: true, text: 'CertificateTemplate:X' }],
    ['an empty string (cb 2)', encodeAttributeBlob(''), { ok: true, text: '' }],
    ['a NULL blob', null, { ok: true, text: '' }],
  ])('accepts %s', (_name, blob, expected) => {
    expect(decodeAttributeBlob(blob)).toEqual(expected);
  });

  it.each([
    ['cb without the NUL', Buffer.from('CertificateTemplate:X', 'utf16le')],
    ['cb past the NUL', Buffer.concat([encodeAttributeBlob('a:b'), Buffer.alloc(2)])],
    ['an odd cb', Buffer.from([0x61, 0x00, 0x00])],
  ])('reports a cb mismatch: %s', (_name, blob) => {
    expect(decodeAttributeBlob(blob).ok).toBe(false);
  });
});
