/**
 * A certificate authority: its key, its certificate and the certificates above it. Creates
 * self-signed roots and subordinate CAs, issues end-entity certificates from CSRs, and is stored
 * in a directory as `key.pem` (PKCS#8, mode 0600), `cert.pem` and `chain.pem` (its issuers, nearest
 * first; absent for a root).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyObject, createHash, sign } from 'node:crypto';
import { x509, type CryptoKey } from './x509.js';
import { PkiError, guardAsync, isPkiError } from './errors.js';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKey, signingAlgorithmFor, spkiOfPrivateKey, type KeySpec } from './keys.js';
import { parseCertificate, type CertificateInfo } from './certificate.js';
import { parseCsr, verifyCsr, type CsrInfo } from './csr.js';
import { encodeGeneralNames, type SanEntry } from './general-names.js';
import { encodeKeyUsage, type KeyUsageName } from './key-usage.js';
import { DerReader, Tag, contextTag, derOid, derSequence, derSmallInteger, derTlv, tlvValue } from './der.js';
import { Oid } from './oids.js';
import { decodePemLabel, encodePem, encodePemBlocks, PemLabel } from './pem.js';
import { bytesEqual, concatBytes, toArrayBuffer, toBytes } from './bytes.js';
import { normaliseSerial, randomSerial } from './serial.js';

const DAY_MS = 86_400_000;
/** AD CS back-dates notBefore by its ClockSkewMinutes (default 10) so skewed clients accept new certificates. */
export const DEFAULT_BACKDATE_MS = 10 * 60_000;

export interface CaCreateOptions {
  /** RFC 4514 subject, e.g. `CN=enrollgate-CA` */
  subject: string;
  /** default rsa2048 */
  key?: KeySpec;
  /** default 3650 for a root, 1825 for a subordinate */
  validityDays?: number;
  /** BasicConstraints pathLenConstraint; default none for a root, 0 for a subordinate */
  pathLength?: number;
  now?: Date;
}

export interface ExtraExtension {
  oid: string;
  critical: boolean;
  /** extnValue DER */
  value: Uint8Array;
}

export interface IssueRequest {
  /** a parsed CSR, or its DER / PEM; the signature is always verified */
  csr: CsrInfo | Uint8Array | string;
  validityDays: number;
  keyUsages: readonly KeyUsageName[];
  extendedKeyUsages: readonly string[];
  /** replaces the CSR's subject (RFC 4514 string; '' for an empty subject) */
  subjectOverride?: string;
  /** undefined: copy the CSR's SubjectAltName extension as requested; []: no SAN; else exactly these */
  sans?: readonly SanEntry[];
  /** hex string or bigint; default a random 128-bit positive serial */
  serial?: string | bigint;
  /** default now minus DEFAULT_BACKDATE_MS */
  notBefore?: Date;
  extraExtensions?: readonly ExtraExtension[];
  now?: Date;
}

export interface IssuedCertificate {
  der: Uint8Array;
  /** the serial number as minimal lower-case hex (what `info.serialNumber` reports) */
  serialNumber: string;
  /** PEM of `der` (encoded on first use) */
  readonly pem: string;
  /** `der` parsed (on first use) */
  readonly info: CertificateInfo;
  /** DER, leaf first, then the CA and its issuers up to the root */
  chain: Uint8Array[];
}

export class CertificateAuthority {
  private constructor(
    /** this CA's certificate */
    readonly certificate: CertificateInfo,
    /** the CA's signing key (also what a CA acting as SCEP RA signs and decrypts with) */
    readonly privateKey: CryptoKey,
    /** the issuers of this CA, nearest first (empty for a root) */
    readonly parents: readonly CertificateInfo[],
  ) {}

  /** This CA and its issuers, nearest first. */
  get chain(): CertificateInfo[] {
    return [this.certificate, ...this.parents];
  }

  get root(): CertificateInfo {
    return this.parents.length > 0 ? this.parents[this.parents.length - 1]! : this.certificate;
  }

  get subject(): string {
    return this.certificate.subject;
  }

  /** Wraps an existing key and certificate; BAD_KEY if they do not belong together. */
  static async fromParts(
    certificate: CertificateInfo | Uint8Array,
    privateKey: CryptoKey,
    parents: readonly (CertificateInfo | Uint8Array)[] = [],
  ): Promise<CertificateAuthority> {
    const cert = certificate instanceof Uint8Array ? parseCertificate(certificate) : certificate;
    const spki = toBytes(await privateKeySpki(privateKey, cert));
    if (!bytesEqual(spki, cert.spki)) throw new PkiError('BAD_KEY', `the private key does not match the CA certificate ${cert.subject}`);
    if (!cert.isCa) throw new PkiError('BAD_CERTIFICATE', `${cert.subject} is not a CA certificate (BasicConstraints cA is not set)`);
    return new CertificateAuthority(
      cert,
      privateKey,
      parents.map((p) => (p instanceof Uint8Array ? parseCertificate(p) : p)),
    );
  }

  static async load(dir: string): Promise<CertificateAuthority> {
    const read = async (name: string, optional: boolean): Promise<string | undefined> => {
      try {
        return await readFile(join(dir, name), 'utf8');
      } catch (e) {
        if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new PkiError('CA_STORE', `cannot read ${join(dir, name)}: ${(e as Error).message}`, { field: name }, e);
      }
    };
    const keyPem = (await read('key.pem', false))!;
    const certPem = (await read('cert.pem', false))!;
    const chainPem = await read('chain.pem', true);
    try {
      const certificate = parseCertificate(decodePemLabel(certPem, PemLabel.certificate)[0]!);
      const parents = chainPem === undefined || chainPem.trim() === '' ? [] : decodePemLabel(chainPem, PemLabel.certificate).map((d) => parseCertificate(d));
      return await CertificateAuthority.fromParts(certificate, await importPrivateKey(keyPem), parents);
    } catch (e) {
      throw isPkiError(e) ? new PkiError(e.code, `CA in ${dir}: ${e.message}`, e.details, e) : e;
    }
  }

  /** Writes key.pem (0600), cert.pem and chain.pem; each file is replaced atomically. */
  async save(dir: string): Promise<void> {
    const keyPem = await exportPrivateKeyPem(this.privateKey);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeAtomic(join(dir, 'key.pem'), keyPem, 0o600);
      await writeAtomic(join(dir, 'cert.pem'), encodePem(PemLabel.certificate, this.certificate.der), 0o644);
      await writeAtomic(
        join(dir, 'chain.pem'),
        encodePemBlocks(
          PemLabel.certificate,
          this.parents.map((p) => p.der),
        ),
        0o644,
      );
    } catch (e) {
      throw new PkiError('CA_STORE', `cannot write the CA to ${dir}: ${(e as Error).message}`, {}, e);
    }
  }

  /**
   * Issues an end-entity certificate: subject and SANs from the CSR unless overridden, the given
   * KeyUsage (critical) and EKUs, BasicConstraints cA:false (critical), SKI of the requester's key,
   * AKI of this CA's key. notAfter never exceeds this CA's own notAfter.
   */
  async issue(req: IssueRequest): Promise<IssuedCertificate> {
    const csr = typeof req.csr === 'string' || req.csr instanceof Uint8Array ? parseCsr(req.csr) : req.csr;
    verifyCsr(csr);
    if (!(req.validityDays > 0)) throw new PkiError('INVALID_ARGUMENT', `validityDays must be positive, got ${req.validityDays}`, { field: 'validityDays' });
    const now = req.now ?? new Date();
    const notBefore = req.notBefore ?? new Date(now.getTime() - DEFAULT_BACKDATE_MS);
    const notAfter = new Date(Math.min(now.getTime() + req.validityDays * DAY_MS, this.certificate.notAfter.getTime()));
    const serialNumber = req.serial === undefined ? randomSerial() : normaliseSerial(req.serial);

    const subjectDer = req.subjectOverride === undefined ? csr.subjectDer : toBytes(new x509.Name(req.subjectOverride).toArrayBuffer());
    const signer = this.directSigner();
    const der =
      signer !== undefined
        ? encodeAndSign(signer, {
            serialNumber,
            issuerDer: this.certificate.subjectDer,
            subjectDer,
            notBefore,
            notAfter,
            spki: csr.spki,
            extensions: leafExtensions(req, csr, subjectDer, await this.keyIdentifier()),
          })
        : await issueWithGenerator(this, req, csr, { serialNumber, subjectDer, notBefore, notAfter });
    // pem and info are derived on first use: a CA issuing at volume (the simulator) needs neither.
    let pem: string | undefined;
    let info: CertificateInfo | undefined;
    return {
      der,
      serialNumber,
      get pem() {
        return (pem ??= encodePem(PemLabel.certificate, der));
      },
      get info() {
        return (info ??= parseCertificate(der));
      },
      chain: [der, ...this.chain.map((c) => c.der)],
    };
  }

  /** This CA's key as a node KeyObject with the signature AlgorithmIdentifier, for direct signing; undefined → the x509 generator. */
  private directSigner(): DirectSigner | undefined {
    if (this.signer === undefined) {
      const algorithm = signingAlgorithmFor(this.privateKey);
      const plan = DIRECT_ALGORITHMS[`${algorithm.name}/${algorithm.hash}`];
      this.signer = plan === undefined ? null : { key: KeyObject.from(this.privateKey), ...plan };
    }
    return this.signer ?? undefined;
  }

  private signer: DirectSigner | null | undefined;

  /** Creates a subordinate CA signed by this one. */
  async createSubordinate(options: CaCreateOptions): Promise<CertificateAuthority> {
    const now = options.now ?? new Date();
    const keys = await generateKeyPair(options.key ?? 'rsa2048');
    const notAfter = new Date(Math.min(now.getTime() + (options.validityDays ?? 1825) * DAY_MS, this.certificate.notAfter.getTime()));
    const cert = await guardAsync('INVALID_ARGUMENT', 'creating subordinate CA', async () =>
      x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: options.subject,
        issuer: new x509.Name(toArrayBuffer(this.certificate.subjectDer)),
        notBefore: new Date(now.getTime() - DEFAULT_BACKDATE_MS),
        notAfter,
        publicKey: keys.publicKey,
        signingKey: this.privateKey,
        signingAlgorithm: signingAlgorithmFor(this.privateKey),
        extensions: [
          ...caExtensions(options.pathLength ?? 0),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          new x509.AuthorityKeyIdentifierExtension(await this.keyIdentifier()),
        ],
      }),
    );
    return CertificateAuthority.fromParts(toBytes(cert.rawData), keys.privateKey, this.chain);
  }

  /** @internal */
  async keyIdentifier(): Promise<string> {
    if (this.certificate.subjectKeyId !== undefined) return this.certificate.subjectKeyId;
    return Buffer.from(await new x509.PublicKey(toArrayBuffer(this.certificate.spki)).getKeyIdentifier()).toString('hex');
  }
}

/** Creates a self-signed root CA. */
export async function createRootCa(options: CaCreateOptions): Promise<CertificateAuthority> {
  const now = options.now ?? new Date();
  const keys = await generateKeyPair(options.key ?? 'rsa2048');
  const cert = await guardAsync('INVALID_ARGUMENT', 'creating root CA', async () =>
    x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: options.subject,
      notBefore: new Date(now.getTime() - DEFAULT_BACKDATE_MS),
      notAfter: new Date(now.getTime() + (options.validityDays ?? 3650) * DAY_MS),
      keys,
      signingAlgorithm: signingAlgorithmFor(keys.privateKey),
      extensions: [...caExtensions(options.pathLength), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
    }),
  );
  return CertificateAuthority.fromParts(toBytes(cert.rawData), keys.privateKey);
}

function caExtensions(pathLength: number | undefined): InstanceType<typeof x509.Extension>[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    // digitalSignature too: RFC 8894 §2.1.2 wants it on a CA that signs SCEP responses itself.
    new x509.Extension(Oid.keyUsage, true, encodeKeyUsage(['digitalSignature', 'keyCertSign', 'cRLSign'])),
  ];
}

async function privateKeySpki(privateKey: CryptoKey, cert: CertificateInfo): Promise<ArrayBuffer> {
  // A non-extractable key cannot be exported; then trust the caller's pairing (signing will fail loudly otherwise).
  if (!privateKey.extractable) return toArrayBuffer(cert.spki);
  const pem = await exportPrivateKeyPem(privateKey);
  return toArrayBuffer(spkiOfPrivateKey(pem));
}

async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

interface DirectSigner {
  key: KeyObject;
  hash: string;
  /** the signature AlgorithmIdentifier DER, as the x509 generator writes it */
  algorithmId: Uint8Array;
}

/** Signature algorithms signed without the x509 generator (every one signingAlgorithmFor returns). */
const DIRECT_ALGORITHMS: Record<string, Omit<DirectSigner, 'key'>> = {
  'RSASSA-PKCS1-v1_5/SHA-256': { hash: 'sha256', algorithmId: derSequence(derOid('1.2.840.113549.1.1.11'), Uint8Array.of(Tag.NULL, 0)) },
  'ECDSA/SHA-256': { hash: 'sha256', algorithmId: derSequence(derOid('1.2.840.10045.4.3.2')) },
  'ECDSA/SHA-384': { hash: 'sha384', algorithmId: derSequence(derOid('1.2.840.10045.4.3.3')) },
  'ECDSA/SHA-512': { hash: 'sha512', algorithmId: derSequence(derOid('1.2.840.10045.4.3.4')) },
};

interface LeafExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/**
 * The end-entity extensions, in the order issue() always wrote them: BasicConstraints cA:false
 * (critical), KeyUsage (critical), EKU, SAN, SKI (SHA-1 of the subjectPublicKey bits, RFC 5280
 * §4.2.1.2 method 1), AKI (keyIdentifier), then the extra ones.
 */
function leafExtensions(req: IssueRequest, csr: CsrInfo, subjectDer: Uint8Array, caKeyId: string): LeafExtension[] {
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension is mandatory and critical.
  const emptySubject = subjectDer.length <= 2;
  const out: LeafExtension[] = [
    { oid: Oid.basicConstraints, critical: true, value: derSequence() },
    { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage(req.keyUsages) },
  ];
  if (req.extendedKeyUsages.length > 0) out.push({ oid: Oid.extKeyUsage, critical: false, value: derSequence(...req.extendedKeyUsages.map(derOid)) });
  if (req.sans === undefined) {
    const requested = csr.requestedExtensions.find((e) => e.oid === Oid.subjectAltName);
    if (requested !== undefined) out.push({ oid: Oid.subjectAltName, critical: emptySubject, value: requested.value });
  } else if (req.sans.length > 0) {
    out.push({ oid: Oid.subjectAltName, critical: emptySubject, value: encodeGeneralNames(req.sans) });
  }
  out.push({ oid: Oid.subjectKeyIdentifier, critical: false, value: derTlv(Tag.OCTET_STRING, subjectPublicKeySha1(csr.spki)) });
  out.push({ oid: Oid.authorityKeyIdentifier, critical: false, value: derSequence(derTlv(contextTag(0, false), Buffer.from(caKeyId, 'hex'))) });
  for (const e of req.extraExtensions ?? []) out.push({ oid: e.oid, critical: e.critical, value: e.value });
  return out;
}

function subjectPublicKeySha1(spki: Uint8Array): Uint8Array {
  const r = new DerReader(spki, 'BAD_KEY');
  const [, bits] = r.childrenOf(r.readRoot('SubjectPublicKeyInfo'), Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  if (bits === undefined || bits.tag !== Tag.BIT_STRING) return r.fail('SubjectPublicKeyInfo.subjectPublicKey', 0, 'expected a BIT STRING');
  return createHash('sha1').update(tlvValue(bits).subarray(1)).digest();
}

/**
 * X.509 v3 certificate DER (RFC 5280 §4.1), encoded as @peculiar/x509's generator encodes it
 * (ca.spec.ts compares the two): serial as a positive INTEGER, UTCTime through 2049 and
 * GeneralizedTime after (whole seconds), extensions with `critical` only when true; signed with
 * node's crypto in one synchronous call.
 */
function encodeAndSign(
  signer: DirectSigner,
  cert: { serialNumber: string; issuerDer: Uint8Array; subjectDer: Uint8Array; notBefore: Date; notAfter: Date; spki: Uint8Array; extensions: LeafExtension[] },
): Uint8Array {
  const extensions = cert.extensions.map((e) =>
    derSequence(derOid(e.oid), ...(e.critical ? [Uint8Array.of(Tag.BOOLEAN, 1, 0xff)] : []), derTlv(Tag.OCTET_STRING, e.value)),
  );
  const tbs = derSequence(
    derTlv(contextTag(0, true), derSmallInteger(2)),
    derTlv(Tag.INTEGER, positiveIntegerOctets(cert.serialNumber)),
    signer.algorithmId,
    cert.issuerDer,
    derSequence(derTime(cert.notBefore), derTime(cert.notAfter)),
    cert.subjectDer,
    cert.spki,
    derTlv(contextTag(3, true), derSequence(...extensions)),
  );
  const signature = sign(signer.hash, tbs, { key: signer.key, dsaEncoding: 'der' });
  return derSequence(tbs, signer.algorithmId, derTlv(Tag.BIT_STRING, Uint8Array.of(0), signature));
}

function positiveIntegerOctets(hex: string): Uint8Array {
  let bytes: Uint8Array = Buffer.from(hex, 'hex');
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0) first++;
  bytes = bytes.subarray(first);
  if (bytes.length === 0) return Uint8Array.of(0);
  return bytes[0]! > 0x7f ? concatBytes(Uint8Array.of(0), bytes) : bytes;
}

function derTime(date: Date): Uint8Array {
  const iso = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() > 2049
    ? derTlv(Tag.GENERALIZED_TIME, Buffer.from(digits, 'latin1'))
    : derTlv(Tag.UTC_TIME, Buffer.from(digits.slice(2), 'latin1'));
}

/**
 * The certificate as the @peculiar/x509 generator makes it (signing through WebCrypto): the path
 * for keys without a direct signer, and the reference the direct encoding is tested against.
 * @internal
 */
export async function issueWithGenerator(
  ca: CertificateAuthority,
  req: IssueRequest,
  csr: CsrInfo,
  fixed: { serialNumber: string; subjectDer: Uint8Array; notBefore: Date; notAfter: Date },
): Promise<Uint8Array> {
  const extensions = leafExtensions(req, csr, fixed.subjectDer, await ca.keyIdentifier()).map((e) => new x509.Extension(e.oid, e.critical, e.value));
  const cert = await guardAsync('INVALID_ARGUMENT', 'issuing certificate', () =>
    x509.X509CertificateGenerator.create({
      serialNumber: fixed.serialNumber,
      subject: new x509.Name(toArrayBuffer(fixed.subjectDer)),
      issuer: new x509.Name(toArrayBuffer(ca.certificate.subjectDer)),
      notBefore: fixed.notBefore,
      notAfter: fixed.notAfter,
      publicKey: new x509.PublicKey(toArrayBuffer(csr.spki)),
      signingKey: ca.privateKey,
      signingAlgorithm: signingAlgorithmFor(ca.privateKey),
      extensions,
    }),
  );
  return toBytes(cert.rawData);
}
