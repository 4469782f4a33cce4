import type { KidProfile } from '../eab/key-profile.js';
import type { AcmeProfiles } from '../profiles/acme-profiles.js';
import { resolveTemplate, type TemplateConfig, type TemplateRequest } from './template-resolution.js';

const profiles: AcmeProfiles = {
  template2: { name: 'template2', description: 'http://foo.bar/template2', template: 'template2' },
  tls: { name: 'tls', description: 'TLS', template: 'WebServerModified' },
};
const config = (over: Partial<TemplateConfig> = {}): TemplateConfig => ({
  defaultTemplate: 'WebServer',
  headerInfoField: 'HTTP_USER_AGENT',
  profiles,
  eabProfiling: false,
  ...over,
});
const kid = (template?: string | string[]): KidProfile => ({
  kid: 'k',
  identifierOverrides: {},
  unsupportedRestrictions: [],
  ...(template ? { template } : {}),
});
const ua = (value: string) => ({ 'user-agent': value });

describe(resolveTemplate.name, () => {
  it.each<[string, TemplateConfig, TemplateRequest, string, string, string | undefined]>([
    // priority 4 → 1, without EAB profiling
    ['nothing chosen: the default', config(), {}, 'allow', 'template.default', 'WebServer'],
    [
      'a SCEP profile default replaces the configured one',
      config(),
      { defaultTemplate: 'IPSECIntermediateOffline' },
      'allow',
      'template.default',
      'IPSECIntermediateOffline',
    ],
    ['header template (lego --user-agent)', config(), { headers: ua('goacme-lego/4 template=User') }, 'allow', 'template.header', 'User'],
    [
      'header ignored when header_info_list is not configured',
      config({ headerInfoField: undefined }),
      { headers: ua('x template=User') },
      'allow',
      'template.default',
      'WebServer',
    ],
    [
      'the ACME profile beats the header',
      config(),
      { orderProfile: 'tls', headers: ua('x template=User') },
      'allow',
      'template.acme_profile',
      'WebServerModified',
    ],
    ['profile name as template (acme2certifier profiles)', config(), { orderProfile: 'template2' }, 'allow', 'template.acme_profile', 'template2'],
    ['a header template that is no template name', config(), { headers: ua('x template=Web:Server') }, 'reject', 'template.header_invalid', undefined],
    ['no default and nothing chosen', config({ defaultTemplate: undefined }), {}, 'reject', 'template.missing', undefined],
    // EAB profiling (priority 1)
    [
      'EAB string forces, over an ACME profile',
      config({ eabProfiling: true }),
      { kidProfile: kid('WebServerModified'), orderProfile: 'template2' },
      'allow',
      'template.eab_forced',
      'WebServerModified',
    ],
    [
      'EAB string forces, over a header',
      config({ eabProfiling: true }),
      { kidProfile: kid('WebServerModified'), headers: ua('x template=User') },
      'allow',
      'template.eab_forced',
      'WebServerModified',
    ],
    [
      'EAB list without a choice: its first entry',
      config({ eabProfiling: true }),
      { kidProfile: kid(['WebServerModified', 'WebServer']) },
      'allow',
      'template.eab_list_default',
      'WebServerModified',
    ],
    [
      'EAB list, header choice in the list',
      config({ eabProfiling: true }),
      { kidProfile: kid(['WebServerModified', 'WebServer']), headers: ua('x template=WebServer') },
      'allow',
      'template.eab_list_choice',
      'WebServer',
    ],
    [
      'EAB list, ACME profile choice in the list',
      config({ eabProfiling: true }),
      { kidProfile: kid(['WebServerModified', 'WebServer']), orderProfile: 'tls' },
      'allow',
      'template.eab_list_choice',
      'WebServerModified',
    ],
    [
      'EAB list, header choice outside it',
      config({ eabProfiling: true }),
      { kidProfile: kid(['WebServerModified', 'WebServer']), headers: ua('x template=User') },
      'reject',
      'template.eab_list_not_allowed',
      undefined,
    ],
    [
      'EAB list, ACME profile outside it',
      config({ eabProfiling: true }),
      { kidProfile: kid(['WebServerModified', 'WebServer']), orderProfile: 'template2' },
      'reject',
      'template.eab_list_not_allowed',
      undefined,
    ],
    [
      'EAB profile without template: a header template is refused',
      config({ eabProfiling: true }),
      { kidProfile: kid(), headers: ua('x template=User') },
      'reject',
      'template.eab_header_not_allowed',
      undefined,
    ],
    [
      'EAB profile without template: the ACME profile applies',
      config({ eabProfiling: true }),
      { kidProfile: kid(), orderProfile: 'tls' },
      'allow',
      'template.acme_profile',
      'WebServerModified',
    ],
    ['EAB profile without template: the default', config({ eabProfiling: true }), { kidProfile: kid() }, 'allow', 'template.default', 'WebServer'],
    [
      'EAB profiling on, account without kid: a header template is refused (acme2certifier)',
      config({ eabProfiling: true }),
      { headers: ua('x template=User') },
      'reject',
      'template.eab_header_not_allowed',
      undefined,
    ],
    ['EAB profiling off: the kid profile is not consulted', config(), { kidProfile: kid('WebServerModified') }, 'allow', 'template.default', 'WebServer'],
  ])('%s', (_case, cfg, request, decision, rule, template) => {
    const sut = resolveTemplate(cfg, request);
    expect({ decision: sut.decision, rule: sut.rule }).toEqual({ decision, rule });
    if (sut.decision === 'allow') expect(sut.template).toBe(template);
  });

  it("gives acme2certifier's texts, clearer", () => {
    const notInList = resolveTemplate(config({ eabProfiling: true }), { kidProfile: kid(['WebServerModified', 'WebServer']), headers: ua('x template=User') });
    expect(notInList.decision === 'reject' && notInList.problem).toEqual({
      type: 'urn:ietf:params:acme:error:unauthorized',
      detail: 'template "User" is not allowed: the account\'s EAB profile allows "WebServerModified", "WebServer"',
    });
    const headerRefused = resolveTemplate(config({ eabProfiling: true }), { kidProfile: kid(), headers: ua('x template=User') });
    expect(headerRefused.decision === 'reject' && headerRefused.problem.detail).toMatch(/^header_info field "template" is not allowed by profile/);
    const profileRefused = resolveTemplate(config({ eabProfiling: true }), { kidProfile: kid(['WebServer']), orderProfile: 'template2' });
    expect(profileRefused.decision === 'reject' && profileRefused.problem.type).toBe('urn:ietf:params:acme:error:invalidProfile');
  });

  it('records the client choice a forcing EAB profile overrode', () => {
    const sut = resolveTemplate(config({ eabProfiling: true }), { kidProfile: kid('WebServerModified'), headers: ua('x template=User') });
    expect(sut.decision === 'allow' && sut.overridden).toEqual({ source: 'header', template: 'User' });
  });

  it("does not carry one request's template into the next (acme2certifier issue #190)", () => {
    const cfg = config();
    const first = resolveTemplate(cfg, { headers: ua('acme.sh/3.0 template=User') });
    const second = resolveTemplate(cfg, { headers: ua('acme.sh/3.0') });
    const third = resolveTemplate(cfg, {});
    expect([first, second, third].map((d) => d.decision === 'allow' && d.template)).toEqual(['User', 'WebServer', 'WebServer']);
  });
});
