import { AcmeProblem, malformed, unauthorized } from '../acme/problems.js';
import type { EabKeyLookup } from '../policy/acme-policy.js';
import { importAccountKey } from '../jose/jwk.js';
import { HMAC_ALGORITHMS, decodePayload, parseFlattenedJws, verifyJwsMac } from '../jose/jws.js';

/**
 * Verifies an external account binding (RFC 8555 §7.3.4): a flattened JWS MAC'd (HS256/384/512)
 * with the key of `kid`, no nonce, the newAccount URL, over the account's own JWK.
 * Returns the EAB kid.
 */
export function verifyExternalAccountBinding(value: unknown, accountThumbprint: string, newAccountUrl: string, keys: EabKeyLookup): string {
  const jws = parseFlattenedJws(value, 'externalAccountBinding');
  const { header } = jws;
  if (!(header.alg in HMAC_ALGORITHMS)) {
    throw new AcmeProblem('badSignatureAlgorithm', `externalAccountBinding alg ${header.alg} is not a MAC algorithm`, {
      algorithms: Object.keys(HMAC_ALGORITHMS),
    });
  }
  if (header.nonce !== undefined) throw malformed('externalAccountBinding must not carry a nonce');
  if (header.jwk !== undefined) throw malformed('externalAccountBinding must not carry a jwk header');
  if (header.url !== newAccountUrl) throw unauthorized(`externalAccountBinding url must be ${newAccountUrl}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw malformed('externalAccountBinding has no kid');
  const key = keys.get(header.kid);
  if (!key) throw unauthorized(`unknown external account key id "${header.kid}"`);
  const bound = importAccountKey(decodePayload(jws), 0);
  if (bound.thumbprint !== accountThumbprint) throw unauthorized('externalAccountBinding payload is not the account key');
  if (!verifyJwsMac(jws, key)) throw unauthorized('externalAccountBinding MAC does not verify');
  return header.kid;
}
