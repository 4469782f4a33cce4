import type { CsrInfo } from '@enrollgate/pki';
import type { PolicyConfig } from './config/policy-config.js';
import { isRejection, reject, type PolicyDecision, type PolicyIdentifier, type PolicyProblem, type PolicyRule, type Rejection } from './decision.js';
import type { KidProfileSource } from './eab/key-profile-store.js';
import type { KidProfile } from './eab/key-profile.js';
import { checkCsrNames, csrNamesOf } from './identifiers/csr-names.js';
import { checkIdentifiers } from './identifiers/identifier-policy.js';
import { compileIdentifierRules, withOverrides, type IdentifierRules } from './identifiers/identifier-rules.js';
import { checkPublicKey, type EnrollProtocolName, type KeyPolicy } from './keys/key-policy.js';
import { directoryProfiles, selectProfile } from './profiles/acme-profiles.js';
import { sanRequestAttributes } from './san/san-attribute.js';
import type { RequestHeaders } from './templates/header-template.js';
import { resolveTemplate, type TemplateSource } from './templates/template-resolution.js';

export interface NewOrderRequest {
  /** identifiers as acme-api validated them (lower-case, wildcards with `*.`) */
  identifiers: readonly PolicyIdentifier[];
  /** `profile` of the newOrder payload */
  profile?: string;
  /** the account's EAB kid, if it was bound with one */
  eabKid?: string | null;
}

interface Outcome {
  /** the decision that settled it (the first rejection, or the last check) */
  decision: PolicyDecision['decision'];
  rule: PolicyRule;
  /** every check made, in order: count each (PolicyMetrics.count) */
  decisions: PolicyDecision[];
}

export type NewOrderDecision = (Outcome & { decision: 'allow'; profile: string | null }) | (Outcome & { decision: 'reject'; problem: PolicyProblem });

export interface EnrollmentRequest {
  protocol: EnrollProtocolName;
  csr: Pick<CsrInfo, 'commonName' | 'sans' | 'publicKey'>;
  /** the order's profile as recorded at newOrder (ACME) */
  orderProfile?: string | null;
  eabKid?: string | null;
  /** headers of this request (acme2certifier: the finalize request's) */
  headers?: RequestHeaders;
  /** a SCEP profile's template, used where acme2certifier would use the configured default */
  defaultTemplate?: string;
  /** a SCEP profile's key policy, replacing the protocol's */
  keyPolicy?: KeyPolicy;
}

/** What the enrollment job gets (EnrollJob.template / caPool / attributes). */
export interface EnrollmentParameters {
  template: string;
  templateSource: TemplateSource;
  caPool?: string;
  /** a kid's `ca_name`: the CA to use within the pool */
  caName?: string;
  /** extra MS-ICPR request attributes: `{}` unless `san_request_attribute` is on */
  attributes: Record<string, string>;
}

export type EnrollmentDecision =
  (Outcome & { decision: 'allow'; enrollment: EnrollmentParameters }) | (Outcome & { decision: 'reject'; problem: PolicyProblem });

/**
 * The policy the front-ends call: acme-api at newOrder and finalize, scep-api at PKIOperation.
 * Stateless per call; the only state is the configuration and the key-profile source, which
 * reloads by itself.
 */
export class Policy {
  private readonly baseRules: IdentifierRules;

  constructor(
    readonly config: PolicyConfig,
    private readonly keyProfiles?: KidProfileSource,
  ) {
    this.baseRules = compileIdentifierRules(config);
  }

  /** acme2certifier eab_strict_mode: newAccount requires an external account binding. */
  get eabRequired(): boolean {
    return this.config.eabStrictMode;
  }

  /** The directory's `meta.profiles`. */
  directoryProfiles(): Record<string, string> {
    return directoryProfiles(this.config.profiles);
  }

  /** The kid's profile, when EAB profiling is on (acme2certifier applies profiles only then). */
  kidProfile(kid: string | null | undefined): KidProfile | undefined {
    if (!this.config.eabProfiling || !kid) return undefined;
    return this.keyProfiles?.profile(kid);
  }

  /** The identifier rules for an account: [Order] options with its kid's overrides. */
  identifierRules(kid?: string | null): IdentifierRules {
    return withOverrides(this.baseRules, this.kidProfile(kid)?.identifierOverrides);
  }

  /** The key policy of a protocol, with an ACME profile's overrides. */
  keyPolicyFor(protocol: EnrollProtocolName, profile?: string | null): KeyPolicy {
    const base = this.config.keyPolicy[protocol];
    const override = profile ? this.config.profiles[profile]?.keyPolicy : undefined;
    return { ...base, ...override };
  }

  /**
   * An account bound with a kid that the key file no longer holds. acme2certifier then applies
   * no profile at all (its restrictions silently lapse); here removing a kid withdraws it.
   */
  private unknownKid(eabKid: string | null | undefined, kid: KidProfile | undefined): Rejection | undefined {
    if (!this.config.eabProfiling || !eabKid || kid !== undefined) return undefined;
    return reject('eab.unknown_kid', {
      type: 'urn:ietf:params:acme:error:unauthorized',
      detail: `the account's external account key id "${eabKid.slice(0, 64)}" is no longer in the EAB key file`,
    });
  }

  /** newOrder: identifiers (allow-lists, limit, wildcards) and the requested profile. */
  newOrder(request: NewOrderRequest): NewOrderDecision {
    const decisions: PolicyDecision[] = [];
    const kid = this.kidProfile(request.eabKid);
    const gone = this.unknownKid(request.eabKid, kid);
    if (gone) return { ...gone, decisions: [pick(gone)] };
    if (kid && kid.unsupportedRestrictions.length > 0) {
      // refused at enrollment anyway (checkCsrNames): say so before the client proves control of its names
      const detail = `the account's EAB profile sets ${kid.unsupportedRestrictions.join(', ')}, which this server does not enforce; orders refused rather than unrestricted`;
      decisions.push({ decision: 'reject', rule: 'eab.unsupported_restriction' });
      return { decision: 'reject', rule: 'eab.unsupported_restriction', problem: { type: 'urn:ietf:params:acme:error:unauthorized', detail }, decisions };
    }
    const ids = checkIdentifiers(request.identifiers, this.identifierRules(request.eabKid));
    decisions.push(pick(ids));
    if (isRejection(ids)) return { decision: 'reject', rule: ids.rule, problem: ids.problem, decisions };
    const profile = selectProfile(request.profile, { profiles: this.config.profiles, checkDisable: this.config.profilesCheckDisable }, kid);
    decisions.push(pick(profile));
    if (isRejection(profile)) return { decision: 'reject', rule: profile.rule, problem: profile.problem, decisions };
    return { decision: 'allow', rule: profile.rule, profile: profile.profile, decisions };
  }

  /** finalize / PKIOperation: the CSR's names and key, the template, the CA pool and request attributes. */
  enrollment(request: EnrollmentRequest): EnrollmentDecision {
    const decisions: PolicyDecision[] = [];
    const kid = this.kidProfile(request.eabKid);
    const gone = this.unknownKid(request.eabKid, kid);
    if (gone) return { ...gone, decisions: [pick(gone)] };

    const names = checkCsrNames(csrNamesOf(request.csr), this.identifierRules(request.eabKid), kid?.unsupportedRestrictions);
    decisions.push(pick(names));
    if (isRejection(names)) return { decision: 'reject', rule: names.rule, problem: names.problem, decisions };

    const keyPolicy = request.keyPolicy ?? this.keyPolicyFor(request.protocol, request.orderProfile);
    const key = checkPublicKey(request.csr.publicKey, keyPolicy);
    decisions.push(pick(key));
    if (isRejection(key)) return { decision: 'reject', rule: key.rule, problem: key.problem, decisions };

    const template = resolveTemplate(
      {
        profiles: this.config.profiles,
        eabProfiling: this.config.eabProfiling,
        defaultTemplate: this.config.defaultTemplate,
        headerInfoField: this.config.headerInfoField,
      },
      { orderProfile: request.orderProfile ?? null, headers: request.headers, kidProfile: kid, defaultTemplate: request.defaultTemplate },
    );
    decisions.push(pick(template));
    if (isRejection(template)) return { decision: 'reject', rule: template.rule, problem: template.problem, decisions };

    const san = sanRequestAttributes(request.csr.sans, { enabled: this.config.sanRequestAttribute });
    decisions.push(pick(san));
    if (isRejection(san)) return { decision: 'reject', rule: san.rule, problem: san.problem, decisions };

    return {
      decision: 'allow',
      rule: template.rule,
      decisions,
      enrollment: {
        template: template.template,
        templateSource: template.source,
        ...optional('caPool', kid?.caPool),
        ...optional('caName', kid?.caName),
        attributes: san.attributes,
      },
    };
  }
}

/** Just `{decision, rule}`: what is counted, nothing a log line could leak. */
function pick(d: PolicyDecision): PolicyDecision {
  return { decision: d.decision, rule: d.rule };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
