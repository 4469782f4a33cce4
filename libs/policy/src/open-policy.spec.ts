import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPolicy } from './open-policy.js';
import { seedKeyFileText } from './testing/fixtures.js';

describe(openPolicy.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enrollgate-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the policy file and its EAB key file (relative to it), with live MAC keys', () => {
    writeFileSync(join(dir, 'kid_profiles.json'), seedKeyFileText());
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ template: 'WebServer', eab_profiling: true, eab_key_file: 'kid_profiles.json' }));
    const sut = openPolicy(join(dir, 'policy.json'), { watch: false });
    try {
      const keys = sut.keyProfiles?.macKeyMap();
      expect([...(keys?.keys() ?? [])]).toEqual(['keyid_00', 'keyid_01', 'keyid_02', 'keyid_03']);
      expect(keys?.get('keyid_00')).toEqual(Buffer.from('example_hmac_value', 'base64url'));
      expect(keys?.has('nope')).toBe(false);
      expect(sut.policy.kidProfile('keyid_01')?.template).toBe('WebServerModified');

      writeFileSync(join(dir, 'kid_profiles.json'), '{"keyid_09": "YWJj"}');
      sut.keyProfiles?.reload();
      expect([...(keys?.keys() ?? [])]).toEqual(['keyid_09']);
      expect(keys?.size).toBe(1);
    } finally {
      sut.close();
    }
  });

  it('refuses orders of a kid whose profile restricts in a way not enforced', () => {
    writeFileSync(join(dir, 'k.json'), JSON.stringify({ k: { hmac: 'YWJj', cahandler: { subject: { countryName: 'AC' } } } }));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ eab_profiling: true, eab_key_file: join(dir, 'k.json') }));
    const sut = openPolicy(join(dir, 'policy.json'), { watch: false });
    const result = sut.policy.newOrder({ identifiers: [{ type: 'dns', value: 'a.example' }], eabKid: 'k' });
    expect({ decision: result.decision, rule: result.rule }).toEqual({ decision: 'reject', rule: 'eab.unsupported_restriction' });
    sut.close();
  });

  it('works without an EAB key file', () => {
    writeFileSync(join(dir, 'policy.yaml'), 'template: WebServer\n');
    const sut = openPolicy(join(dir, 'policy.yaml'));
    expect(sut.keyProfiles).toBeUndefined();
    expect(sut.policy.config.defaultTemplate).toBe('WebServer');
  });
});
