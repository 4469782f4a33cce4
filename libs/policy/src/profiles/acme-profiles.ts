import { reject, type PolicyDecision, type Rejection } from '../decision.js';
import type { KidProfile } from '../eab/key-profile.js';
import type { KeyPolicy } from '../keys/key-policy.js';
import { isClientTemplateName } from '../templates/template-name.js';

/**
 * One ACME profile (draft-ietf-acme-profiles). acme2certifier configures
 * `profiles: {"name": "description or URL"}` and uses the name as the AD CS template; we accept
 * that, and an object form that names a different template and a key policy.
 */
export interface AcmeProfile {
  name: string;
  /** advertised in the directory's meta.profiles */
  description: string;
  /** AD CS template this profile selects (acme2certifier: the profile name) */
  template: string;
  keyPolicy?: Partial<KeyPolicy>;
}

export type AcmeProfiles = Readonly<Record<string, AcmeProfile>>;

/** The directory's `meta.profiles`: name → description (draft-ietf-acme-profiles §3). */
export function directoryProfiles(profiles: AcmeProfiles): Record<string, string> {
  return Object.fromEntries(Object.values(profiles).map((p) => [p.name, p.description]));
}

/** The template an order's profile selects: the configured profile's, else (profiles_check_disable) the name itself. */
export function templateOfProfile(profiles: AcmeProfiles, name: string): string {
  return profiles[name]?.template ?? name;
}

export interface ProfileAllowed extends PolicyDecision {
  decision: 'allow';
  rule: 'profile.none' | 'profile.offered' | 'profile.check_disabled' | 'profile.eab_forced' | 'profile.eab_list';
  /** what the order records as its profile (null: none) */
  profile: string | null;
}

export type ProfileDecision = ProfileAllowed | Rejection;

const INVALID_PROFILE = 'urn:ietf:params:acme:error:invalidProfile' as const;

export interface ProfileSelection {
  profiles: AcmeProfiles;
  /** acme2certifier `profiles_check_disable`: any well-formed name is taken as a template */
  checkDisable: boolean;
}

/**
 * The `profile` of a newOrder (acme2certifier Order.add_profile_to_order, with its EAB
 * mapping): with an EAB kid profile that sets a template, that template list replaces the
 * offered profiles; a string template forces it whatever the client asked (acme2certifier
 * overwrites the submitted profile silently: the order records the forced template). Without
 * one, an unknown profile is `invalidProfile` (acme2certifier's single-profile silent
 * substitution is not copied: the client asked for something else).
 */
export function selectProfile(requested: string | undefined, selection: ProfileSelection, kid?: KidProfile): ProfileDecision {
  if (requested === undefined) return { decision: 'allow', rule: 'profile.none', profile: null };
  const { profiles } = selection;
  const offered = Object.keys(profiles);
  const template = kid?.template;
  if (typeof template === 'string') return { decision: 'allow', rule: 'profile.eab_forced', profile: template };
  if (template !== undefined) {
    const wanted = templateOfProfile(profiles, requested);
    if (template.includes(wanted)) return { decision: 'allow', rule: 'profile.eab_list', profile: requested };
    return reject('profile.eab_not_allowed', {
      type: INVALID_PROFILE,
      detail: `template "${wanted.slice(0, 64)}" is not allowed: the account's EAB profile allows ${template.map((t) => `"${t}"`).join(', ')}`,
    });
  }
  if (profiles[requested] !== undefined) return { decision: 'allow', rule: 'profile.offered', profile: requested };
  if (selection.checkDisable && isClientTemplateName(requested)) return { decision: 'allow', rule: 'profile.check_disabled', profile: requested };
  return reject('profile.unknown', {
    type: INVALID_PROFILE,
    detail: `profile "${requested.slice(0, 64)}" is not offered by this server${offered.length ? ` (offered: ${offered.join(', ')})` : ' (it offers none)'}`,
  });
}
