import { loadScepConfig } from '../config.js';
import { purposeOf, resolveProfiles, templateFor } from './profiles.js';

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

describe('key policy of a profile', () => {
  it('without SCEP_POLICY_FILE: RSA from 1024 bits (the Windows seed profile), the SCEP curves', () => {
    const sut = resolveProfiles(loadScepConfig({})).get('default')!;
    expect(sut.keyPolicy).toEqual({ rsaMinBits: 1024, rsaMaxBits: 8192, curves: ['P-256', 'P-384', 'P-521'] });
  });

  it('SCEP_MIN_RSA_BITS overrides the default profile; a profile overrides each field it sets, the rest inherited', () => {
    const profiles = resolveProfiles({
      ...loadScepConfig({ SCEP_MIN_RSA_BITS: '2048' }),
      profiles: { strict: { minRsaBits: 3072, curves: ['P-384'] }, plain: {} },
    });
    expect(profiles.get('default')!.keyPolicy.rsaMinBits).toBe(2048);
    expect(profiles.get('strict')!.keyPolicy).toEqual({ rsaMinBits: 3072, rsaMaxBits: 8192, curves: ['P-384'] });
    expect(profiles.get('plain')!.keyPolicy.rsaMinBits).toBe(2048);
  });
});
