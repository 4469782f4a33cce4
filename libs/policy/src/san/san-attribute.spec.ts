import type { SanEntry } from '@enrollgate/pki';
import { sanRequestAttributes } from './san-attribute.js';

describe(sanRequestAttributes.name, () => {
  const sans: SanEntry[] = [
    { type: 'dns', value: 'www.example.com' },
    { type: 'ip', value: '2001:db8::1' },
    { type: 'upn', value: 'host$@corp.example' },
  ];

  it('sends no SAN attribute unless the operator enabled it (EDITF_ATTRIBUTESUBJECTALTNAME2 / ESC6)', () => {
    const sut = sanRequestAttributes(sans, { enabled: false });
    expect(sut).toEqual({ decision: 'allow', rule: 'san_attribute.disabled', attributes: {} });
  });

  it("repeats exactly the CSR's SANs when enabled", () => {
    const sut = sanRequestAttributes(sans, { enabled: true });
    expect(sut).toEqual({
      decision: 'allow',
      rule: 'san_attribute.enabled',
      attributes: { SAN: 'dns=www.example.com&ipaddress=2001:db8::1&upn=host$@corp.example' },
    });
  });

  it('sends nothing for a CSR without SANs', () => {
    expect(sanRequestAttributes([], { enabled: true }).rule).toBe('san_attribute.disabled');
  });

  it.each<[string, SanEntry]>([
    ['a directory name', { type: 'dn', value: 'CN=x' }],
    ['a value that would smuggle another pair', { type: 'dns', value: 'a.example&upn=administrator@corp.example' }],
    ['a line break that would start another attribute', { type: 'dns', value: 'a.example\nCertificateTemplate:DomainController' }],
  ])('refuses %s', (_case, san) => {
    const sut = sanRequestAttributes([san], { enabled: true });
    expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision: 'reject', rule: 'san_attribute.unsupported_type' });
  });
});
