import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AcmeProblem } from '../acme/problems.js';

/** JWS algorithms accepted for account keys (RFC 8555 §6.2; Boulder's set). */
export const SUPPORTED_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512'] as const;
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const CURVE_ALG: Record<string, JwsAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const CURVE_SIZE: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** A public account key: its JWK (only the key members, canonical), the KeyObject, the RFC 7638 thumbprint. */
export interface AccountKey {
  jwk: Record<string, string>;
  key: KeyObject;
  thumbprint: string;
  /** The one algorithm this key signs with. */
  alg: JwsAlgorithm;
  /** DER SubjectPublicKeyInfo, to compare with a CSR's key (RFC 8555 §11.1). */
  spki: Buffer;
}

export function isSupportedAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === 'string' && (SUPPORTED_ALGORITHMS as readonly string[]).includes(alg);
}

const badAlg = (detail: string) => new AcmeProblem('badSignatureAlgorithm', detail, { algorithms: [...SUPPORTED_ALGORITHMS] });

/**
 * Imports a JWK from a JWS header. Only RSA (≥ 2048 bits) and the NIST curves; a JWK `alg`
 * that disagrees with the key is refused, as Boulder does.
 */
export function importAccountKey(value: unknown, minRsaBits = 2048): AccountKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AcmeProblem('malformed', 'jwk is not a JSON object');
  const jwk = value as Record<string, unknown>;
  const str = (name: string): string => {
    const v = jwk[name];
    if (typeof v !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v)) throw new AcmeProblem('malformed', `jwk member "${name}" must be a base64url string`);
    return v;
  };
  let members: Record<string, string>;
  let alg: JwsAlgorithm;
  if (jwk['kty'] === 'RSA') {
    members = { e: str('e'), kty: 'RSA', n: str('n') };
    alg = 'RS256';
  } else if (jwk['kty'] === 'EC') {
    const crv = jwk['crv'];
    if (typeof crv !== 'string' || !(crv in CURVE_ALG)) throw new AcmeProblem('badPublicKey', `unsupported curve ${String(crv)} (P-256, P-384, P-521)`);
    members = { crv, kty: 'EC', x: str('x'), y: str('y') };
    const size = CURVE_SIZE[crv] as number;
    if (Buffer.from(members['x'] as string, 'base64url').length !== size || Buffer.from(members['y'] as string, 'base64url').length !== size) {
      throw new AcmeProblem('badPublicKey', `${crv} coordinates must be ${size} bytes`);
    }
    alg = CURVE_ALG[crv] as JwsAlgorithm;
  } else {
    throw new AcmeProblem('badPublicKey', `unsupported key type ${String(jwk['kty'])} (RSA or EC)`);
  }
  if (jwk['alg'] !== undefined && jwk['alg'] !== alg) throw badAlg(`jwk alg ${String(jwk['alg'])} does not match the ${members['kty']} key (${alg})`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: members, format: 'jwk' });
  } catch (e) {
    throw new AcmeProblem('badPublicKey', `jwk is not a valid public key: ${(e as Error).message}`);
  }
  if (members['kty'] === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < minRsaBits) throw new AcmeProblem('badPublicKey', `RSA key of ${bits} bits; at least ${minRsaBits} required`);
    if (bits > 8192) throw new AcmeProblem('badPublicKey', `RSA key of ${bits} bits; at most 8192 accepted`);
  }
  return { jwk: members, key, thumbprint: jwkThumbprint(members), alg, spki: key.export({ type: 'spki', format: 'der' }) };
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
export function jwkThumbprint(members: Record<string, string>): string {
  const required = members['kty'] === 'RSA' ? ['e', 'kty', 'n'] : ['crv', 'kty', 'x', 'y'];
  const canonical = '{' + required.map((k) => `${JSON.stringify(k)}:${JSON.stringify(members[k])}`).join(',') + '}';
  return createHash('sha256').update(canonical).digest('base64url');
}

/** RFC 8555 §8.1: token || '.' || base64url(thumbprint). */
export function keyAuthorization(token: string, thumbprint: string): string {
  return `${token}.${thumbprint}`;
}
