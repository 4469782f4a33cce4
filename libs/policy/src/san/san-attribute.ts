import type { SanEntry } from '@enrollgate/pki';
import { reject, type PolicyDecision, type Rejection } from '../decision.js';

/**
 * SANs reach the CA inside the CSR, and only there.
 *
 * Why: AD CS copies SANs from a `SAN:` request attribute (`SAN:dns=a.example&upn=x@corp`) into
 * any certificate when the CA has EDITF_ATTRIBUTESUBJECTALTNAME2 set, whatever the template
 * says. That is ESC6 (SpecterOps, "Certified Pre-Owned"): whoever can put that attribute in a
 * request gets a certificate for any name, a domain admin's UPN included. A gateway that turned
 * client input into that attribute would hand this to every ACME and SCEP client. So the
 * attribute is never built from what a client sent separately, and is built at all only when
 * an operator sets `san_request_attribute: true` (for a CA whose templates build SANs from the
 * request attribute instead of the CSR); even then it repeats the CSR's SANs, which the
 * allow-lists have already checked, and nothing else.
 */
export interface SanAttributeOptions {
  /** operator flag `san_request_attribute` (default false) */
  enabled: boolean;
}

export interface SanAttributeDecision extends PolicyDecision {
  decision: 'allow';
  rule: 'san_attribute.disabled' | 'san_attribute.enabled';
  /** extra MS-ICPR request attributes (Name → Value) for EnrollJob.attributes: `{}` or `{ SAN: … }` */
  attributes: Record<string, string>;
}

/** The SAN attribute's name for each SAN type AD CS understands (MS-WCCE / certreq `san:` syntax). */
const SAN_KEYS: Partial<Record<SanEntry['type'], string>> = { dns: 'dns', ip: 'ipaddress', email: 'email', upn: 'upn', uri: 'url' };

const SAFE_VALUE = /^[^\s&=\x00-\x1f\x7f]+$/;

/** Builds the request attributes for the CSR's SANs: none unless the operator enabled the `SAN:` attribute. */
export function sanRequestAttributes(sans: readonly SanEntry[], options: SanAttributeOptions): SanAttributeDecision | Rejection {
  if (!options.enabled || sans.length === 0) return { decision: 'allow', rule: 'san_attribute.disabled', attributes: {} };
  const parts: string[] = [];
  for (const san of sans) {
    const key = SAN_KEYS[san.type];
    if (key === undefined || !SAFE_VALUE.test(san.value)) {
      return reject('san_attribute.unsupported_type', {
        type: 'urn:ietf:params:acme:error:badCSR',
        detail: `SAN ${san.type} ${JSON.stringify(san.value)} cannot be expressed in a SAN request attribute`,
      });
    }
    parts.push(`${key}=${san.value}`);
  }
  return { decision: 'allow', rule: 'san_attribute.enabled', attributes: { SAN: parts.join('&') } };
}
