/**
 * Key generation and key (de)serialisation on WebCrypto. Private keys are stored as PKCS#8 PEM;
 * import also accepts the PKCS#1 ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY") files openssl
 * writes, by letting node:crypto normalise them to PKCS#8 first.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { subtle, type CryptoKey, type CryptoKeyPair } from './x509.js';
import { PkiError } from './errors.js';
import { DerReader, Tag, tlvValue } from './der.js';
import { CurveOids, Oid, type NamedCurve } from './oids.js';
import { decodePem, encodePem, PemLabel } from './pem.js';
import { toArrayBuffer, toBytes } from './bytes.js';

export const KEY_SPECS = ['rsa2048', 'rsa3072', 'rsa4096', 'p256', 'p384'] as const;
/** The key types we generate: RSA 2048/3072/4096 and ECDSA P-256/P-384. */
export type KeySpec = (typeof KEY_SPECS)[number];

/** Accepts `rsa2048`, `RSA-2048`, `rsa`, `p256`, `P-256`, `ec`, `ecdsa-p384` and the like. */
export function parseKeySpec(text: string): KeySpec {
  const t = text.trim().toLowerCase().replace(/[-_ ]/g, '');
  const aliases: Record<string, KeySpec> = {
    rsa: 'rsa2048',
    ec: 'p256',
    ecdsa: 'p256',
    ecp256: 'p256',
    ecdsap256: 'p256',
    secp256r1: 'p256',
    prime256v1: 'p256',
    ecp384: 'p384',
    ecdsap384: 'p384',
    secp384r1: 'p384',
  };
  const spec = (KEY_SPECS as readonly string[]).includes(t) ? (t as KeySpec) : aliases[t];
  if (spec === undefined) {
    throw new PkiError('UNSUPPORTED_KEY', `unknown key type ${JSON.stringify(text)}; use one of ${KEY_SPECS.join(', ')}`);
  }
  return spec;
}

type SigningAlgorithm = { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' } | { name: 'ECDSA'; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' };
type KeyGenAlgorithm =
  | {
      name: 'RSASSA-PKCS1-v1_5';
      modulusLength: number;
      publicExponent: Uint8Array;
      hash: 'SHA-256';
    }
  | { name: 'ECDSA'; namedCurve: NamedCurve };

function generationParams(spec: KeySpec): KeyGenAlgorithm {
  switch (spec) {
    case 'rsa2048':
    case 'rsa3072':
    case 'rsa4096':
      return {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: Number(spec.slice(3)),
        publicExponent: Uint8Array.of(1, 0, 1),
        hash: 'SHA-256',
      };
    case 'p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
  }
}

/** An extractable signing key pair (extractable so a CA can save its key). */
export async function generateKeyPair(spec: KeySpec): Promise<CryptoKeyPair> {
  return subtle.generateKey(generationParams(spec), true, ['sign', 'verify']);
}

/** The WebCrypto signature parameters for a key: SHA-256 for RSA and P-256, SHA-384 for P-384. */
export function signingAlgorithmFor(key: CryptoKey): SigningAlgorithm {
  const alg = key.algorithm as { name: string; namedCurve?: string };
  if (alg.name === 'RSASSA-PKCS1-v1_5') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (alg.name === 'ECDSA') {
    const hash = alg.namedCurve === 'P-384' ? 'SHA-384' : alg.namedCurve === 'P-521' ? 'SHA-512' : 'SHA-256';
    return { name: 'ECDSA', hash };
  }
  throw new PkiError('UNSUPPORTED_KEY', `cannot sign with a ${alg.name} key`);
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = toBytes(await subtle.exportKey('pkcs8', key));
  return encodePem(PemLabel.privateKey, der);
}

export async function exportPublicKeySpki(key: CryptoKey): Promise<Uint8Array> {
  return toBytes(await subtle.exportKey('spki', key));
}

/** Imports a signing key from PEM (PKCS#8, PKCS#1 or SEC1) or PKCS#8 DER. */
export async function importPrivateKey(input: string | Uint8Array): Promise<CryptoKey> {
  const keyObject = privateKeyObject(input);
  const pkcs8 = new Uint8Array(keyObject.export({ type: 'pkcs8', format: 'der' }));
  const type = keyObject.asymmetricKeyType;
  if (type === 'rsa') {
    return subtle.importKey('pkcs8', toArrayBuffer(pkcs8), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  }
  if (type === 'ec') {
    const curve = nodeCurveName(keyObject.asymmetricKeyDetails?.namedCurve);
    if (curve === undefined) throw new PkiError('UNSUPPORTED_KEY', `unsupported EC curve ${keyObject.asymmetricKeyDetails?.namedCurve ?? '?'}`);
    return subtle.importKey('pkcs8', toArrayBuffer(pkcs8), { name: 'ECDSA', namedCurve: curve }, true, ['sign']);
  }
  throw new PkiError('UNSUPPORTED_KEY', `unsupported private key type ${type ?? 'unknown'}`);
}

/** The SubjectPublicKeyInfo (DER) that belongs to a private key. */
export function spkiOfPrivateKey(input: string | Uint8Array): Uint8Array {
  return new Uint8Array(
    createPublicKey(privateKeyObject(input)).export({
      type: 'spki',
      format: 'der',
    }),
  );
}

function privateKeyObject(input: string | Uint8Array): KeyObject {
  if (typeof input === 'string') {
    const blocks = decodePem(input);
    const block = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
    if (block === undefined)
      throw new PkiError('BAD_PEM', 'no PRIVATE KEY PEM block found', {
        field: 'PRIVATE KEY',
      });
    if (block.label === 'ENCRYPTED PRIVATE KEY' || block.headers['Proc-Type']?.includes('ENCRYPTED')) {
      throw new PkiError('BAD_KEY', 'encrypted private keys are not supported; store the key unencrypted with restrictive file permissions');
    }
    try {
      return createPrivateKey({ key: input, format: 'pem' });
    } catch (e) {
      throw new PkiError('BAD_KEY', `private key does not parse: ${(e as Error).message}`, {}, e);
    }
  }
  try {
    return createPrivateKey({
      key: Buffer.from(input),
      format: 'der',
      type: 'pkcs8',
    });
  } catch (e) {
    throw new PkiError('BAD_KEY', `private key (PKCS#8 DER) does not parse: ${(e as Error).message}`, {}, e);
  }
}

function nodeCurveName(name: string | undefined): NamedCurve | undefined {
  switch (name) {
    case 'prime256v1':
    case 'P-256':
      return 'P-256';
    case 'secp384r1':
    case 'P-384':
      return 'P-384';
    case 'secp521r1':
    case 'P-521':
      return 'P-521';
    default:
      return undefined;
  }
}

/** What a SubjectPublicKeyInfo holds, for policy decisions (minimum RSA size, allowed curves). */
export type PublicKeyInfo =
  | { type: 'rsa'; bits: number }
  | { type: 'ec'; curve: NamedCurve | string; bits: number }
  | { type: 'ed25519' | 'ed448'; bits: number }
  | { type: 'unknown'; oid: string };

/** Describes an SPKI; BAD_DER if it does not parse, never throws for an unknown algorithm. */
export function describePublicKey(spki: Uint8Array): PublicKeyInfo {
  const r: DerReader = new DerReader(spki, 'BAD_DER');
  const [algId, bits] = r.childrenOf(r.readRoot('SubjectPublicKeyInfo'), Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  if (algId === undefined || bits === undefined) return r.fail('SubjectPublicKeyInfo', 0, 'expected algorithm and subjectPublicKey');
  const [oidTlv, params] = r.childrenOf(algId, Tag.SEQUENCE, 'SubjectPublicKeyInfo.algorithm');
  if (oidTlv === undefined) return r.fail('SubjectPublicKeyInfo.algorithm', algId.offset, 'empty AlgorithmIdentifier');
  const oid = r.oid(oidTlv, 'SubjectPublicKeyInfo.algorithm.algorithm');
  r.bitStringBytes(bits, 'SubjectPublicKeyInfo.subjectPublicKey');
  switch (oid) {
    case Oid.rsaEncryption: {
      const bitsLen = rsaModulusBits(r.bitStringBytes(bits, 'SubjectPublicKeyInfo.subjectPublicKey'));
      if (bitsLen === undefined) r.fail('SubjectPublicKeyInfo.subjectPublicKey', bits.offset, 'RSA key does not parse');
      return { type: 'rsa', bits: bitsLen };
    }
    case Oid.ecPublicKey: {
      if (params === undefined || params.tag !== Tag.OID) {
        return r.fail('SubjectPublicKeyInfo.algorithm.parameters', algId.offset, 'EC key without a named curve');
      }
      const curveOid = r.oid(params, 'SubjectPublicKeyInfo.algorithm.parameters');
      const curve = CurveOids[curveOid] ?? curveOid;
      const point = tlvValue(bits).length - 2; // unused-bits octet and the 0x04 point prefix
      return {
        type: 'ec',
        curve,
        bits: curve === 'P-521' ? 521 : Math.floor(point / 2) * 8,
      };
    }
    case Oid.ed25519:
      return { type: 'ed25519', bits: 256 };
    case Oid.ed448:
      return { type: 'ed448', bits: 456 };
    default:
      return { type: 'unknown', oid };
  }
}

/**
 * Bit length of an RSAPublicKey's modulus (RFC 8017 A.1.1: SEQUENCE { modulus INTEGER,
 * publicExponent INTEGER }), read from the DER: no OpenSSL key object per certificate or CSR
 * (createPublicKey cost ~1 ms each, a large share of a SCEP enrollment). Undefined unless both
 * integers are positive and nothing follows them.
 */
function rsaModulusBits(rsaPublicKey: Uint8Array): number | undefined {
  try {
    const r = new DerReader(rsaPublicKey, 'BAD_DER');
    const [modulus, exponent, extra] = r.childrenOf(r.readRoot('RSAPublicKey'), Tag.SEQUENCE, 'RSAPublicKey');
    if (modulus?.tag !== Tag.INTEGER || exponent?.tag !== Tag.INTEGER || extra !== undefined) return undefined;
    const m = tlvValue(modulus);
    const e = tlvValue(exponent);
    if (m.length === 0 || e.length === 0 || (m[0]! & 0x80) !== 0 || (e[0]! & 0x80) !== 0) return undefined;
    let i = 0;
    while (i < m.length && m[i] === 0) i++;
    if (i === m.length || e.every((b) => b === 0)) return undefined;
    return (m.length - i - 1) * 8 + (32 - Math.clz32(m[i]!));
  } catch {
    return undefined;
  }
}

/** "RSA 2048", "EC P-256": for messages and summaries. */
export function publicKeyLabel(info: PublicKeyInfo): string {
  switch (info.type) {
    case 'rsa':
      return `RSA ${info.bits}`;
    case 'ec':
      return `EC ${info.curve}`;
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    case 'unknown':
      return `unknown (${info.oid})`;
  }
}

const PUBLIC_KEY_CACHE_SIZE = 128;
const publicKeys = new Map<string, KeyObject>();

/**
 * createPublicKey for a DER SubjectPublicKeyInfo, reusing the KeyObject of the same bytes
 * (least recently used dropped first). OpenSSL 3 decodes a key in about a millisecond, and one
 * SCEP request needs the same client key three times (message signature, CSR signature, reply
 * envelope). KeyObjects are immutable. Throws as createPublicKey does.
 */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  const id = createHash('sha256').update(spki).digest('base64');
  let key = publicKeys.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) publicKeys.delete(publicKeys.keys().next().value!);
  } else {
    publicKeys.delete(id);
  }
  publicKeys.set(id, key);
  return key;
}
