import { createHash } from 'node:crypto';
import { seedKeyFileText } from '../testing/fixtures.js';
import { KeyProfileFileError, parseKeyProfileFile } from './key-profile.js';

describe(parseKeyProfileFile.name, () => {
  it('keeps the seed example byte for byte (../shared/seeds/000_079a56b7670e57e5.txt "Example Key File", 918 bytes)', () => {
    // Tests never read ../shared: the digest of the seed's block was recorded when it was copied here.
    const text = seedKeyFileText();
    expect(text.length).toBe(918);
    expect(createHash('sha256').update(text).digest('hex')).toBe('d93a7899bd306e6cc7e5749243bcf77ecc5fd53c5e8dff70474051a94557fa1f');
  });

  describe('the seed key file, unchanged', () => {
    const sut = parseKeyProfileFile(seedKeyFileText());

    it('loads all four kids, each with a key that decodes', () => {
      expect([...sut.profiles.keys()]).toEqual(['keyid_00', 'keyid_01', 'keyid_02', 'keyid_03']);
      const expected: Record<string, string> = {
        keyid_00: Buffer.from('example_hmac_value', 'base64url').toString('hex'),
        keyid_01: Buffer.from('anouther_very_long_hmac_for_keyid_01_which will_be used_during regression').toString('hex'),
        keyid_02: Buffer.from('this_is_a_very_long_hmac_to_make_sure_that_its_more_than_256_bits').toString('hex'),
        keyid_03: Buffer.from('and_finally_the_last_hmac_key_which_is_longer_than_256_bits_and_should_work').toString('hex'),
      };
      for (const [kid, hex] of Object.entries(expected)) expect(sut.profiles.get(kid)?.macKey?.bytes().toString('hex')).toBe(hex);
    });

    it.each([
      ['keyid_00', ['WebServerModified', 'WebServer'], ['www.example.com', 'www.example.org', '*.acme']],
      ['keyid_01', 'WebServerModified', ['www.example.com', 'www.example.org', '*.acme']],
      ['keyid_02', undefined, ['www.example.com', 'www.example.org']],
      ['keyid_03', undefined, undefined],
    ])('%s: template %j, allowed_domainlist %j', (kid, template, domains) => {
      const profile = sut.profiles.get(kid);
      expect(profile?.template).toEqual(template);
      expect(profile?.identifierOverrides.allowedDomainlist?.patterns.map((p) => p.entry)).toEqual(domains);
      expect(profile?.unsupportedRestrictions).toEqual([]);
    });

    it('warns about the unknown key and the short example key, never printing a value', () => {
      expect(sut.warnings).toEqual([
        'keyid_00.hmac is 13 bytes; use at least 32 random bytes',
        'keyid_00.cahandler.unknown_key is not used by this server; ignored',
        'keyid_01.cahandler.unknown_key is not used by this server; ignored',
      ]);
      expect(sut.warnings.join('\n')).not.toMatch(/unknown_value|example_hmac_value/);
    });

    it('has a version (sha256 prefix of the file)', () => {
      expect(sut.version).toBe(createHash('sha256').update(seedKeyFileText()).digest('hex').slice(0, 12));
    });
  });

  it("reads acme2certifier's docs/eab_profiling.md example (order/challenge/authorization sections, YAML too)", () => {
    const yaml = `---
keyid_00:
  hmac: "aG1hYy1rZXk"
  cahandler:
    profile_id: "profile_1"
    allowed_domainlist:
    - "*.example.com"
    ca_name: "non_default_ca"
    api_password: "api_password"
  order:
    allowed_iplist: ["10.0.0.0/8"]
    wildcard_certificate_disable: "True"
keyid_02:
  hmac: "aG1hYy1rZXk"
  challenge:
    challenge_validation_disable: True
`;
    const sut = parseKeyProfileFile(yaml);
    const k0 = sut.profiles.get('keyid_00');
    expect(k0?.caName).toBe('non_default_ca');
    expect(k0?.identifierOverrides.wildcardCertificateDisable).toBe(true);
    expect(k0?.identifierOverrides.allowedIplist?.allows('10.1.1.1')).toBe(true);
    expect(k0?.identifierOverrides.allowedDomainlist?.allows('a.example.com')).toBe(true);
    expect(sut.warnings).toContain('keyid_00.cahandler.api_password is not used by this server; ignored');
    expect(sut.warnings).toContain('keyid_02.challenge (acme2certifier relaxes validation with it) is not supported; ignored');
    expect(sut.warnings.join('\n')).not.toContain('api_password"');
  });

  it("reads json_handler.py's flat format", () => {
    const sut = parseKeyProfileFile('{"keyid_00": "YWJj", "keyid_01": "ZGVm"}');
    expect(sut.profiles.get('keyid_01')?.macKey?.bytes().toString()).toBe('def');
  });

  it('takes the order section over the deprecated cahandler one (acme2certifier _load_eab_profile_param)', () => {
    const sut = parseKeyProfileFile(
      JSON.stringify({ k: { hmac: 'YWJj', cahandler: { allowed_domainlist: ['a.example'] }, order: { allowed_domainlist: ['b.example'] } } }),
    );
    expect(sut.profiles.get('k')?.identifierOverrides.allowedDomainlist?.patterns.map((p) => p.entry)).toEqual(['b.example']);
  });

  it('reads per-kid CA pool and CA name overrides', () => {
    const sut = parseKeyProfileFile(JSON.stringify({ k: { hmac: 'YWJj', cahandler: { ca_pool: 'emea', ca_name: 'EMEA Issuing CA' } } }));
    expect(sut.profiles.get('k')).toMatchObject({ caPool: 'emea', caName: 'EMEA Issuing CA' });
  });

  it('marks a subject restriction as unsupported instead of dropping it', () => {
    const sut = parseKeyProfileFile(JSON.stringify({ k: { hmac: 'YWJj', cahandler: { subject: { organizationName: 'acme corp' } } } }));
    expect(sut.profiles.get('k')?.unsupportedRestrictions).toEqual(['cahandler.subject']);
  });

  it('keeps a kid whose hmac does not decode, without a key', () => {
    const sut = parseKeyProfileFile(JSON.stringify({ k: { hmac: 'not base64!' } }));
    expect(sut.profiles.get('k')?.macKey).toBeUndefined();
    expect(sut.warnings).toEqual(['k.hmac is not base64url (letters, digits, "-" and "_"): this kid cannot bind accounts']);
  });

  it.each([
    ['not JSON nor YAML', '{"k": {"hmac": "c2VjcmV0X2tleQ" ]', /^not valid JSON \(at position \d+\) nor YAML \(at line 1, column \d+\)$/],
    ['not an object', '["k"]', /^expected an object of key ids/],
    ['a bad template', '{"k": {"hmac": "YWJj", "cahandler": {"template": 5}}}', /k\.cahandler\.template: expected a template name/],
    ['a template with a line break', '{"k": {"hmac": "YWJj", "cahandler": {"template": "A\\nSAN:dns=x"}}}', /k\.cahandler\.template/],
    ['a bad domain list', '{"k": {"hmac": "YWJj", "cahandler": {"allowed_domainlist": "a.example"}}}', /k\.allowed_domainlist: expected a list of strings/],
  ])('refuses the whole file when %s, without quoting it', (_case, text, message) => {
    expect(() => parseKeyProfileFile(text)).toThrow(KeyProfileFileError);
    try {
      parseKeyProfileFile(text);
    } catch (e) {
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).not.toContain('c2VjcmV0X2tleQ');
    }
  });
});
