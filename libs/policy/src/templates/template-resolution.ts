import { reject, type PolicyDecision, type Rejection } from '../decision.js';
import type { KidProfile } from '../eab/key-profile.js';
import { templateOfProfile, type AcmeProfiles } from '../profiles/acme-profiles.js';
import { headerValue, templateFromHeader, type RequestHeaders } from './header-template.js';
import { isClientTemplateName } from './template-name.js';

export interface TemplateConfig {
  /** acme2certifier `[CAhandler] template` */
  defaultTemplate?: string;
  /** the first entry of `[Order] header_info_list` (e.g. `HTTP_USER_AGENT`), if any */
  headerInfoField?: string;
  profiles: AcmeProfiles;
  /** `[EABhandler] eab_profiling` */
  eabProfiling: boolean;
}

/** Everything resolution looks at. Nothing else: the result is a function of this and the configuration. */
export interface TemplateRequest {
  /** the order's ACME profile, as accepted at newOrder */
  orderProfile?: string | null;
  /** headers of the request (acme2certifier reads them from the finalize request) */
  headers?: RequestHeaders;
  /** the account's EAB key profile (when eab_profiling is on and the account has a kid) */
  kidProfile?: KidProfile;
  /** replaces the configured default (a SCEP profile's template) */
  defaultTemplate?: string;
}

export type TemplateSource = 'eab' | 'acme-profile' | 'header' | 'default';

export interface TemplateChosen extends PolicyDecision {
  decision: 'allow';
  rule: 'template.eab_forced' | 'template.eab_list_choice' | 'template.eab_list_default' | 'template.acme_profile' | 'template.header' | 'template.default';
  template: string;
  source: TemplateSource;
  /** a client's choice that a forcing EAB profile overrode (for the log line) */
  overridden?: { source: 'acme-profile' | 'header'; template: string };
}

export type TemplateDecision = TemplateChosen | Rejection;

/**
 * Which AD CS template an enrollment uses, in acme2certifier's priority
 * (helpers/eab.py eab_profile_header_info_check):
 *
 * 1. EAB profiling on: the kid's `cahandler.template` — a string forces it; a list admits the
 *    client's choice (ACME profile, else `template=` header token) if listed, else
 *    `template "X" is not allowed`, and without a choice its first entry. A kid profile without
 *    `template` rejects a header template: `header_info field "template" is not allowed by profile`.
 * 2. The order's ACME profile → its template.
 * 3. The `template=` token of the configured header (`header_info_list`).
 * 4. The configured default.
 *
 * acme2certifier stops at step 2 when profiles are configured and at step 1 when EAB profiling
 * is on; here each step falls through to the next when it has nothing to say, so a header
 * template still works on a server that also offers profiles.
 *
 * Pure: acme2certifier kept the chosen template on a handler object that outlived the request,
 * so one client's template leaked into the next request without one (its issue #190). Here the
 * result depends on the arguments only.
 */
export function resolveTemplate(config: TemplateConfig, request: TemplateRequest): TemplateDecision {
  const headerTemplate = config.headerInfoField ? templateFromHeader(headerValue(request.headers, config.headerInfoField)) : undefined;
  const profileTemplate = request.orderProfile ? templateOfProfile(config.profiles, request.orderProfile) : undefined;

  if (config.eabProfiling) {
    const allowed = request.kidProfile?.template;
    if (typeof allowed === 'string') {
      const asked =
        profileTemplate !== undefined
          ? { source: 'acme-profile' as const, template: profileTemplate }
          : headerTemplate !== undefined
            ? { source: 'header' as const, template: headerTemplate }
            : undefined;
      return {
        decision: 'allow',
        rule: 'template.eab_forced',
        template: allowed,
        source: 'eab',
        ...(asked && asked.template !== allowed ? { overridden: asked } : {}),
      };
    }
    if (allowed !== undefined) {
      const choice = profileTemplate ?? headerTemplate;
      const first = allowed[0] as string;
      if (choice === undefined) return { decision: 'allow', rule: 'template.eab_list_default', template: first, source: 'eab' };
      if (allowed.includes(choice)) return { decision: 'allow', rule: 'template.eab_list_choice', template: choice, source: 'eab' };
      return reject('template.eab_list_not_allowed', {
        type: profileTemplate !== undefined ? 'urn:ietf:params:acme:error:invalidProfile' : 'urn:ietf:params:acme:error:unauthorized',
        detail: `template "${clip(choice)}" is not allowed: the account's EAB profile allows ${allowed.map((t) => `"${t}"`).join(', ')}`,
      });
    }
    if (headerTemplate !== undefined) {
      return reject('template.eab_header_not_allowed', {
        type: 'urn:ietf:params:acme:error:unauthorized',
        detail: 'header_info field "template" is not allowed by profile: the account\'s EAB profile sets no template, so none may be chosen by request header',
      });
    }
  }

  if (profileTemplate !== undefined) return { decision: 'allow', rule: 'template.acme_profile', template: profileTemplate, source: 'acme-profile' };

  if (headerTemplate !== undefined) {
    if (!isClientTemplateName(headerTemplate)) {
      return reject('template.header_invalid', {
        type: 'urn:ietf:params:acme:error:malformed',
        detail: `header template "${clip(headerTemplate)}" is not a template name (letters, digits, "_", ".", "-"; at most 64)`,
      });
    }
    return { decision: 'allow', rule: 'template.header', template: headerTemplate, source: 'header' };
  }

  const fallback = request.defaultTemplate ?? config.defaultTemplate;
  if (fallback !== undefined) return { decision: 'allow', rule: 'template.default', template: fallback, source: 'default' };
  return reject('template.missing', {
    type: 'urn:ietf:params:acme:error:serverInternal',
    detail: 'no certificate template: none was chosen and no default template is configured',
  });
}

/** A client-chosen value as it may appear in a problem detail and a log line: bounded, printable. */
function clip(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
