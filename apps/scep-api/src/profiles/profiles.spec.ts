import { loadScepConfig } from '../config.js';
import { dnsNameAllowed, purposeOf, resolveProfiles, templateFor } from './profiles.js';

describe(purposeOf.name, () => {
  it.each([
    [['digitalSignature'], 'signature'],
    [['keyEncipherment'], 'encryption'],
    [['digitalSignature', 'keyEncipherment'], 'generalPurpose'], // KeyUsage 160 of the seed profile
    [undefined, 'generalPurpose'],
  ] as const)('%j → %s (NDES registry choice)', (ku, purpose) => {
    expect(purposeOf(ku as never)).toBe(purpose);
  });
});

describe(templateFor.name, () => {
  const profiles = resolveProfiles({ ...loadScepConfig({ SCEP_TEMPLATE_SIGNATURE: 'SignOnly' }), profiles: { fixed: { template: 'Fixed' } } });

  it('default profile: NDES defaults, IPSECIntermediateOffline for general purpose', () => {
    const sut = profiles.get('default')!;
    expect(templateFor(sut, ['digitalSignature', 'keyEncipherment'])).toBe('IPSECIntermediateOffline');
    expect(templateFor(sut, ['digitalSignature'])).toBe('SignOnly');
    expect(templateFor(sut, ['keyEncipherment'])).toBe('IPSECIntermediateOffline');
  });

  it('a profile override wins over key usage', () => {
    expect(templateFor(profiles.get('fixed')!, ['digitalSignature'])).toBe('Fixed');
  });
});

describe(dnsNameAllowed.name, () => {
  it.each([
    ['host.example.com', ['.example.com'], true],
    ['example.com', ['example.com'], true],
    ['badexample.com', ['example.com'], false],
    ['host.other.com', ['.example.com'], false],
  ])('%s with %j → %s', (name, suffixes, expected) => {
    expect(dnsNameAllowed(name, suffixes)).toBe(expected);
  });
});
