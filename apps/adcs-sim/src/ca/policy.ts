/**
 * The simulated policy module: decides, for a parsed request and its template, whether the CA
 * issues, pends or denies, and with which names, usages and validity. Pure: no I/O, no signing.
 */
import { publicKeyLabel, type CsrInfo, type KeyUsageName, type SanEntry } from '@enrollgate/pki';
import { HResult } from './hresult.js';
import { parseSanAttribute, type RequestAttributes } from './attributes.js';
import type { Template } from './templates.js';

export interface PolicyOptions {
  /** EDITF_ATTRIBUTESUBJECTALTNAME2: accept SANs from the `SAN:` request attribute */
  attributeSubjectAltName2: boolean;
  now: Date;
}

export type PolicyDecision =
  | {
      kind: 'issue' | 'pend';
      validityDays: number;
      keyUsages: KeyUsageName[];
      extendedKeyUsages: string[];
      sans: SanEntry[];
    }
  | { kind: 'deny'; hresult: number; detail: string };

const DAY_MS = 86_400_000;

export function evaluatePolicy(template: Template, csr: CsrInfo, attributes: RequestAttributes, options: PolicyOptions): PolicyDecision {
  const deny = (hresult: number, detail: string): PolicyDecision => ({
    kind: 'deny',
    hresult,
    detail,
  });

  // Key algorithm and size (template "Cryptography" tab).
  const key = csr.publicKey;
  if (key.type === 'rsa') {
    if (template.minRsaBits === null) return deny(HResult.NTE_BAD_ALGID, `Template ${template.name} does not allow RSA keys.`);
    if (key.bits < template.minRsaBits) return deny(HResult.CERTSRV_E_KEY_LENGTH, `RSA ${key.bits} < ${template.minRsaBits}.`);
  } else if (key.type === 'ec') {
    if (!(template.allowedCurves as readonly string[]).includes(key.curve)) {
      return deny(HResult.NTE_BAD_ALGID, `Template ${template.name} does not allow ${publicKeyLabel(key)} keys.`);
    }
  } else {
    return deny(HResult.NTE_BAD_ALGID, `Unsupported key ${publicKeyLabel(key)}.`);
  }

  // Subject: always supplied in the request.
  if (template.requireCommonName && (csr.commonName === undefined || csr.commonName.trim() === '')) {
    return deny(HResult.CERTSRV_E_BAD_REQUESTSUBJECT, 'The subject has no common name.');
  }
  if (csr.commonName !== undefined && csr.commonName.length > 64) {
    return deny(HResult.CERTSRV_E_BAD_REQUESTSUBJECT, 'The common name exceeds 64 characters.');
  }

  // Subject alternative names: from the CSR, plus the SAN attribute when the CA flag allows it.
  const sans = [...csr.sans];
  const sanAttribute = attributes.get('SAN');
  if (sanAttribute !== undefined && options.attributeSubjectAltName2) sans.push(...parseSanAttribute(sanAttribute));
  const allowedTypes = template.allowedSanTypes as readonly string[];
  const disallowed = sans.find((s) => !allowedTypes.includes(s.type));
  if (disallowed !== undefined) {
    return deny(HResult.CERT_E_INVALID_NAME, `SAN ${disallowed.type}:${disallowed.value} is not allowed by template ${template.name}.`);
  }
  const dnsNames = sans.filter((s) => s.type === 'dns').map((s) => s.value);
  if (template.requireDnsSan && dnsNames.length === 0) return deny(HResult.CERTSRV_E_SUBJECT_DNS_REQUIRED, 'No DNS name in the request.');
  if (template.requireEmailSan && !sans.some((s) => s.type === 'email')) {
    return deny(HResult.CERTSRV_E_SUBJECT_EMAIL_REQUIRED, 'No e-mail name in the request.');
  }
  if (template.allowedDnsSuffixes !== undefined) {
    const candidates = [...dnsNames];
    if (csr.commonName !== undefined && /^[A-Za-z0-9*][A-Za-z0-9.-]*\.[A-Za-z]{2,}$/.test(csr.commonName)) candidates.push(csr.commonName);
    const outside = candidates.find((n) => !dnsNameAllowed(n, template.allowedDnsSuffixes!));
    if (outside !== undefined) return deny(HResult.CERT_E_INVALID_NAME, `${outside} is outside the allowed DNS suffixes.`);
  }

  // Validity: a requested period only when the template allows it (EDITF_ATTRIBUTEENDDATE), capped.
  let validityDays = template.validityDays;
  const period = attributes.get('ValidityPeriod');
  const units = attributes.get('ValidityPeriodUnits');
  if (template.allowRequestedValidity && (period !== undefined || units !== undefined)) {
    const requested = requestedValidityDays(period ?? 'Days', units, options.now);
    if (requested === undefined) return deny(HResult.E_INVALIDARG, `Bad ValidityPeriod ${period ?? ''}/${units ?? ''}.`);
    validityDays = Math.min(requested, template.maxValidityDays ?? template.validityDays);
  }

  return {
    kind: template.requiresApproval ? 'pend' : 'issue',
    validityDays,
    keyUsages: keyUsagesFor(template.keyUsages, key.type),
    extendedKeyUsages: [...template.extendedKeyUsages],
    sans,
  };
}

/** Suffix ".example.com" matches below it; "example.com" matches itself and below it. */
export function dnsNameAllowed(name: string, suffixes: readonly string[]): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return suffixes.some((raw) => {
    const s = raw.toLowerCase().replace(/\.$/, '');
    if (s.startsWith('.')) return n.endsWith(s) && n.length > s.length;
    return n === s || n.endsWith('.' + s);
  });
}

/**
 * Days of a `ValidityPeriod` (Seconds|Minutes|Hours|Days|Weeks|Months|Years) × `ValidityPeriodUnits`,
 * months and years on the calendar from `now`. Undefined for an unknown unit or a non-positive count.
 */
export function requestedValidityDays(period: string, units: string | undefined, now: Date): number | undefined {
  if (units === undefined || !/^\d+$/.test(units.trim())) return undefined;
  const n = Number(units.trim());
  if (n <= 0) return undefined;
  const end = new Date(now.getTime());
  switch (period.trim().toLowerCase()) {
    case 'seconds':
      return (n * 1000) / DAY_MS;
    case 'minutes':
      return (n * 60_000) / DAY_MS;
    case 'hours':
      return n / 24;
    case 'days':
      return n;
    case 'weeks':
      return n * 7;
    case 'months':
      end.setUTCMonth(end.getUTCMonth() + n);
      return (end.getTime() - now.getTime()) / DAY_MS;
    case 'years':
      end.setUTCFullYear(end.getUTCFullYear() + n);
      return (end.getTime() - now.getTime()) / DAY_MS;
    default:
      return undefined;
  }
}

/**
 * keyEncipherment/dataEncipherment mean nothing for an EC key (RFC 5480 §3), so they are dropped
 * for EC requests; keyAgreement stands in if nothing else would remain.
 */
function keyUsagesFor(usages: readonly KeyUsageName[], keyType: string): KeyUsageName[] {
  if (keyType !== 'ec') return [...usages];
  const kept = usages.filter((u) => u !== 'keyEncipherment' && u !== 'dataEncipherment');
  return kept.length > 0 ? kept : ['keyAgreement'];
}
