import type { KidProfile } from '../eab/key-profile.js';
import { directoryProfiles, selectProfile, type AcmeProfiles } from './acme-profiles.js';

// docs/acme_profiling.md example, plus one profile naming a template of its own
const profiles: AcmeProfiles = {
  template1: { name: 'template1', description: 'http://foo.bar/template1', template: 'template1' },
  template2: { name: 'template2', description: 'http://foo.bar/template2', template: 'template2' },
  tls: { name: 'tls', description: 'TLS server, 90 days', template: 'WebServerModified' },
};
const kid = (template?: string | string[]): KidProfile => ({
  kid: 'k',
  identifierOverrides: {},
  unsupportedRestrictions: [],
  ...(template ? { template } : {}),
});

describe(directoryProfiles.name, () => {
  it('advertises name → description', () => {
    expect(directoryProfiles(profiles)).toEqual({ template1: 'http://foo.bar/template1', template2: 'http://foo.bar/template2', tls: 'TLS server, 90 days' });
  });
});

describe(selectProfile.name, () => {
  const sel = { profiles, checkDisable: false };

  it.each<[string, string | undefined, { profiles: AcmeProfiles; checkDisable: boolean }, KidProfile | undefined, string, string, string | null | undefined]>([
    ['no profile asked', undefined, sel, undefined, 'allow', 'profile.none', null],
    ['an offered profile', 'template2', sel, undefined, 'allow', 'profile.offered', 'template2'],
    ['an unknown profile', 'nope', sel, undefined, 'reject', 'profile.unknown', undefined],
    ['an unknown profile, nothing offered', 'nope', { profiles: {}, checkDisable: false }, undefined, 'reject', 'profile.unknown', undefined],
    ['any name with profiles_check_disable', 'Custom', { profiles: {}, checkDisable: true }, undefined, 'allow', 'profile.check_disabled', 'Custom'],
    [
      'a kid forcing a template overrides the ask (acme2certifier)',
      'template1',
      sel,
      kid('WebServerModified'),
      'allow',
      'profile.eab_forced',
      'WebServerModified',
    ],
    ["a profile whose template is in the kid's list", 'tls', sel, kid(['WebServerModified', 'WebServer']), 'allow', 'profile.eab_list', 'tls'],
    ["a template name in the kid's list", 'WebServer', sel, kid(['WebServerModified', 'WebServer']), 'allow', 'profile.eab_list', 'WebServer'],
    ["a profile outside the kid's list", 'template1', sel, kid(['WebServerModified', 'WebServer']), 'reject', 'profile.eab_not_allowed', undefined],
    ['a kid without template: the offered list applies', 'template1', sel, kid(), 'allow', 'profile.offered', 'template1'],
  ])('%s', (_case, requested, selection, k, decision, rule, profile) => {
    const sut = selectProfile(requested, selection, k);
    expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision, rule });
    if (sut.decision === 'allow') expect(sut.profile).toBe(profile);
  });

  it('answers invalidProfile naming what is offered', () => {
    const sut = selectProfile('nope', sel);
    expect(sut.decision === 'reject' && sut.problem).toEqual({
      type: 'urn:ietf:params:acme:error:invalidProfile',
      detail: 'profile "nope" is not offered by this server (offered: template1, template2, tls)',
    });
  });

  it("answers acme2certifier's text for a template outside the kid's list", () => {
    const sut = selectProfile('template1', sel, kid(['WebServerModified', 'WebServer']));
    expect(sut.decision === 'reject' && sut.problem.detail).toBe(
      'template "template1" is not allowed: the account\'s EAB profile allows "WebServerModified", "WebServer"',
    );
  });
});
