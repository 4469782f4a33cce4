/**
 * Verification of a signature over DER bytes (a CSR's or a certificate's TBS) with node:crypto,
 * which takes the SPKI as is: RSA PKCS#1 v1.5 (SHA-1 included, Windows SCEP clients still use it),
 * RSASSA-PSS with explicit parameters, ECDSA (DER signature) and Ed25519.
 */
import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { publicKeyFromSpki } from './keys.js';
import { DerReader, Tag, contextTag, type Tlv } from './der.js';
import { HashOids, Oid, SignatureAlgorithms } from './oids.js';
import { PkiError } from './errors.js';

export interface SignatureAlgorithmInfo {
  oid: string;
  /** e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `RSASSA-PSS(sha256)`; the OID if unknown */
  name: string;
}

interface VerifyPlan {
  info: SignatureAlgorithmInfo;
  hash: string | null;
  family: 'rsa' | 'ecdsa' | 'eddsa' | 'rsa-pss';
  saltLength?: number;
}

/** Reads an AlgorithmIdentifier of a signature; errors carry the reader's code. */
export function readSignatureAlgorithm(r: DerReader, algId: Tlv, field: string): VerifyPlan {
  const [oidTlv, params] = r.childrenOf(algId, Tag.SEQUENCE, field);
  if (oidTlv === undefined) return r.fail(field, algId.offset, 'empty AlgorithmIdentifier');
  const oid = r.oid(oidTlv, `${field}.algorithm`);
  const known = SignatureAlgorithms[oid];
  if (known !== undefined)
    return {
      info: { oid, name: known.name },
      hash: known.hash,
      family: known.family,
    };
  if (oid !== Oid.rsassaPss) return { info: { oid, name: oid }, hash: null, family: 'rsa' };
  // RFC 4055 §3.1: RSASSA-PSS-params, defaults SHA-1 / MGF1-SHA-1 / salt 20.
  let hash = 'sha1';
  let saltLength = 20;
  if (params !== undefined && params.tag === Tag.SEQUENCE) {
    for (const p of r.children(params, `${field}.parameters`)) {
      const [inner] = r.children(p, `${field}.parameters`);
      if (inner === undefined) continue;
      if (p.tag === contextTag(0, true)) {
        const [h] = r.childrenOf(inner, Tag.SEQUENCE, `${field}.parameters.hashAlgorithm`);
        if (h !== undefined) hash = HashOids[r.oid(h, `${field}.parameters.hashAlgorithm`)] ?? 'unknown';
      } else if (p.tag === contextTag(2, true)) {
        saltLength = r.smallInteger(inner, `${field}.parameters.saltLength`);
      }
    }
  }
  return {
    info: { oid, name: `RSASSA-PSS(${hash})` },
    hash,
    family: 'rsa-pss',
    saltLength,
  };
}

/**
 * Verifies `signature` over `signed` with the key in `spki`. Throws UNSUPPORTED_ALGORITHM or
 * UNSUPPORTED_KEY when it cannot judge, BAD_SIGNATURE when the signature is wrong.
 */
export function verifySignature(plan: VerifyPlan, signed: Uint8Array, signature: Uint8Array, spki: Uint8Array, what: string): void {
  if (SignatureAlgorithms[plan.info.oid] === undefined && plan.family !== 'rsa-pss') {
    throw new PkiError('UNSUPPORTED_ALGORITHM', `${what}: unsupported signature algorithm ${plan.info.oid}`, { field: 'signatureAlgorithm' });
  }
  if (plan.hash === 'unknown') {
    throw new PkiError('UNSUPPORTED_ALGORITHM', `${what}: RSASSA-PSS with an unsupported hash`, { field: 'signatureAlgorithm' });
  }
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(spki);
  } catch (e) {
    throw new PkiError('UNSUPPORTED_KEY', `${what}: public key cannot be used: ${(e as Error).message}`, { field: 'subjectPublicKeyInfo' }, e);
  }
  const keyType = key.asymmetricKeyType;
  const expected = {
    rsa: ['rsa'],
    'rsa-pss': ['rsa', 'rsa-pss'],
    ecdsa: ['ec'],
    eddsa: ['ed25519'],
  }[plan.family];
  if (keyType === undefined || !expected.includes(keyType)) {
    throw new PkiError('BAD_SIGNATURE', `${what}: ${plan.info.name} signature with a ${keyType ?? 'unknown'} key`, { field: 'signatureAlgorithm' });
  }
  let ok: boolean;
  try {
    ok =
      plan.family === 'rsa-pss'
        ? nodeVerify(
            plan.hash,
            signed,
            {
              key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: plan.saltLength ?? 20,
            },
            signature,
          )
        : nodeVerify(plan.hash, signed, key, signature);
  } catch (e) {
    // OpenSSL throws on a malformed ECDSA DER signature or a wrong-size RSA signature: that is a bad signature too.
    throw new PkiError('BAD_SIGNATURE', `${what}: signature does not verify (${(e as Error).message})`, { field: 'signature' }, e);
  }
  if (!ok)
    throw new PkiError('BAD_SIGNATURE', `${what}: signature does not verify`, {
      field: 'signature',
    });
}
