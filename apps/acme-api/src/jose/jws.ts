import { createHmac, timingSafeEqual, verify } from 'node:crypto';
import { AcmeProblem, malformed } from '../acme/problems.js';
import { SUPPORTED_ALGORITHMS, isSupportedAlgorithm, type AccountKey, type JwsAlgorithm } from './jwk.js';

/** A flattened JWS (RFC 7515 §7.2.2), decoded but not yet verified. */
export interface FlattenedJws {
  protectedB64: string;
  payloadB64: string;
  signature: Buffer;
  header: ProtectedHeader;
}

export interface ProtectedHeader {
  alg: string;
  nonce?: unknown;
  url?: unknown;
  jwk?: unknown;
  kid?: unknown;
  [name: string]: unknown;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function decodeJson(b64: string, what: string): unknown {
  if (!B64URL.test(b64)) throw malformed(`${what} is not base64url`);
  try {
    return JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    throw malformed(`${what} is not JSON`);
  }
}

/**
 * Parses a request body as a flattened JWS. The general serialization (`signatures`) and the
 * unprotected `header` are refused (RFC 8555 §6.2; Boulder wfe2/verify.go).
 */
export function parseFlattenedJws(body: unknown, what = 'JWS'): FlattenedJws {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed(`${what} must be a JSON object`);
  const o = body as Record<string, unknown>;
  if ('signatures' in o) throw malformed(`${what} must use the flattened JSON serialization (no "signatures")`);
  if ('header' in o) throw malformed(`${what} must not have an unprotected header`);
  const extra = Object.keys(o).filter((k) => k !== 'protected' && k !== 'payload' && k !== 'signature');
  if (extra.length > 0) throw malformed(`${what} has unexpected members: ${extra.join(', ')}`);
  const { protected: p, payload, signature } = o;
  if (typeof p !== 'string' || p === '') throw malformed(`${what} has no protected header`);
  if (typeof payload !== 'string') throw malformed(`${what} has no payload`);
  if (typeof signature !== 'string' || signature === '' || !B64URL.test(signature)) throw malformed(`${what} has no signature`);
  if (!B64URL.test(payload)) throw malformed(`${what} payload is not base64url`);
  const header = decodeJson(p, `${what} protected header`);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw malformed(`${what} protected header must be a JSON object`);
  const h = header as ProtectedHeader;
  if (typeof h.alg !== 'string') throw malformed(`${what} protected header has no alg`);
  return { protectedB64: p, payloadB64: payload, signature: Buffer.from(signature, 'base64url'), header: h };
}

/** Checks that `alg` is supported and is the key's algorithm, then the signature. */
export function verifyJwsSignature(jws: FlattenedJws, key: AccountKey): void {
  const alg = jws.header.alg;
  if (!isSupportedAlgorithm(alg)) {
    throw new AcmeProblem('badSignatureAlgorithm', `unsupported JWS algorithm ${alg}`, { algorithms: [...SUPPORTED_ALGORITHMS] });
  }
  if (alg !== key.alg) {
    throw new AcmeProblem('badSignatureAlgorithm', `JWS algorithm ${alg} does not match the ${key.jwk['kty']} key (expected ${key.alg})`, {
      algorithms: [key.alg],
    });
  }
  const signed = Buffer.from(`${jws.protectedB64}.${jws.payloadB64}`, 'ascii');
  let ok: boolean;
  try {
    ok = verify(hashOf(alg), signed, alg === 'RS256' ? key.key : { key: key.key, dsaEncoding: 'ieee-p1363' }, jws.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw malformed('JWS signature does not verify');
}

function hashOf(alg: JwsAlgorithm): string {
  switch (alg) {
    case 'RS256':
    case 'ES256':
      return 'sha256';
    case 'ES384':
      return 'sha384';
    case 'ES512':
      return 'sha512';
  }
}

export const HMAC_ALGORITHMS = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

/** Verifies a MAC'd JWS (external account binding, RFC 8555 §7.3.4). */
export function verifyJwsMac(jws: FlattenedJws, key: Buffer): boolean {
  const hash = HMAC_ALGORITHMS[jws.header.alg as keyof typeof HMAC_ALGORITHMS];
  if (!hash) return false;
  const mac = createHmac(hash, key).update(`${jws.protectedB64}.${jws.payloadB64}`, 'ascii').digest();
  return mac.length === jws.signature.length && timingSafeEqual(mac, jws.signature);
}

export function decodePayload(jws: FlattenedJws): unknown {
  return jws.payloadB64 === '' ? undefined : decodeJson(jws.payloadB64, 'payload');
}
