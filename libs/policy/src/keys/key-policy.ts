import type { PublicKeyInfo } from '@enrollgate/pki';
import { reject, type PolicyDecision, type Rejection } from '../decision.js';

export const NAMED_CURVES = ['P-256', 'P-384', 'P-521'] as const;
export type AllowedCurve = (typeof NAMED_CURVES)[number];

/** What a CSR's key must be (RFC 8555 §7.4 leaves it to the server; Boulder's goodkey). */
export interface KeyPolicy {
  rsaMinBits: number;
  rsaMaxBits: number;
  /** EC curves accepted; empty: no EC keys */
  curves: readonly AllowedCurve[];
}

export type EnrollProtocolName = 'acme' | 'scep';

/**
 * Defaults per protocol. ACME stays at RSA ≥ 2048 and P-256/P-384 (what public ACME CAs
 * accept); SCEP adds P-521, and a SCEP profile may lower rsaMinBits to what its AD CS template
 * accepts (old MDM devices), which ACME never does by default.
 */
export const DEFAULT_KEY_POLICIES: Readonly<Record<EnrollProtocolName, KeyPolicy>> = {
  acme: { rsaMinBits: 2048, rsaMaxBits: 8192, curves: ['P-256', 'P-384'] },
  scep: { rsaMinBits: 2048, rsaMaxBits: 8192, curves: ['P-256', 'P-384', 'P-521'] },
};

export interface KeyAllowed extends PolicyDecision {
  decision: 'allow';
  rule: 'key.allowed';
}

export type KeyDecision = KeyAllowed | Rejection;

const BAD_KEY = 'urn:ietf:params:acme:error:badPublicKey' as const;

/** Checks a CSR's public key (`CsrInfo.publicKey` of @enrollgate/pki) against a key policy. */
export function checkPublicKey(key: PublicKeyInfo, policy: KeyPolicy): KeyDecision {
  switch (key.type) {
    case 'rsa':
      if (key.bits < policy.rsaMinBits)
        return reject('key.rsa_min_bits', { type: BAD_KEY, detail: `RSA key of ${key.bits} bits; at least ${policy.rsaMinBits} required` });
      if (key.bits > policy.rsaMaxBits)
        return reject('key.rsa_max_bits', { type: BAD_KEY, detail: `RSA key of ${key.bits} bits; at most ${policy.rsaMaxBits} accepted` });
      return { decision: 'allow', rule: 'key.allowed' };
    case 'ec':
      if (!(policy.curves as readonly string[]).includes(String(key.curve))) {
        return reject('key.curve', { type: BAD_KEY, detail: `EC key on ${key.curve}; accepted curves: ${policy.curves.join(', ') || 'none'}` });
      }
      return { decision: 'allow', rule: 'key.allowed' };
    case 'ed25519':
    case 'ed448':
      return reject('key.type', { type: BAD_KEY, detail: `${key.type} keys are not accepted (AD CS issues RSA and ECDSA)` });
    case 'unknown':
      return reject('key.type', { type: BAD_KEY, detail: `key algorithm ${key.oid} is not accepted (RSA or ECDSA)` });
  }
}
