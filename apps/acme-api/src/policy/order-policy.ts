import type { AcmeAccount, AcmeIdentifier } from '@enrollgate/store';
import { AcmeProblem } from '../acme/problems.js';
import type { AcmeConfig, ProfilesConfig } from '../config.js';

/** What a CSR's key must be (RFC 8555 §7.4 leaves it to the server; Boulder's goodkey). */
export interface KeyPolicy {
  rsaMinBits: number;
  curves: readonly string[];
}

export interface OrderDecision {
  /** AD CS certificate template the enrollment uses. */
  template: string;
  profile: string | null;
  keyPolicy: KeyPolicy;
}

export interface OrderRequestContext {
  account: AcmeAccount;
  identifiers: AcmeIdentifier[];
  /** `profile` of newOrder (draft-ietf-acme-profiles), when given. */
  profile: string | undefined;
}

/**
 * The seam for the policy lib (DESIGN.md libs/policy: allow-lists, EAB profiling, header
 * templates): decides the template and key policy of an order, or refuses it with a problem.
 */
export interface OrderPolicy {
  /** Profiles advertised in the directory's meta, name → description. */
  profiles(): Record<string, string>;
  decide(request: OrderRequestContext): OrderDecision;
  /** Key policy for an order at finalize (its profile's, or the default). */
  keyPolicyFor(profile: string | null): KeyPolicy;
}

/** Today's policy: the default template, or the template of a configured profile. */
export class ConfiguredOrderPolicy implements OrderPolicy {
  private readonly profilesConfig: ProfilesConfig;
  private readonly defaults: KeyPolicy;

  constructor(private readonly config: Pick<AcmeConfig, 'ACME_DEFAULT_TEMPLATE' | 'ACME_PROFILES' | 'ACME_RSA_MIN_BITS' | 'ACME_ALLOWED_CURVES'>) {
    this.profilesConfig = config.ACME_PROFILES ?? {};
    this.defaults = { rsaMinBits: config.ACME_RSA_MIN_BITS, curves: config.ACME_ALLOWED_CURVES };
  }

  profiles(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.profilesConfig).map(([name, p]) => [name, p.description || `AD CS template ${p.template}`]));
  }

  decide(request: OrderRequestContext): OrderDecision {
    if (request.profile === undefined) return { template: this.config.ACME_DEFAULT_TEMPLATE, profile: null, keyPolicy: this.defaults };
    const profile = this.profilesConfig[request.profile];
    if (!profile) {
      const known = Object.keys(this.profilesConfig);
      throw new AcmeProblem(
        'invalidProfile',
        `unknown profile "${request.profile}"${known.length ? ` (offered: ${known.join(', ')})` : ' (this server offers none)'}`,
      );
    }
    return { template: profile.template, profile: request.profile, keyPolicy: this.keyPolicyFor(request.profile) };
  }

  keyPolicyFor(profile: string | null): KeyPolicy {
    const p = profile === null ? undefined : this.profilesConfig[profile];
    return { rsaMinBits: p?.rsaMinBits ?? this.defaults.rsaMinBits, curves: p?.curves ?? this.defaults.curves };
  }
}
