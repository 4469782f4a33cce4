/**
 * A lean SCEP client for tests, built on the codec's client half. Defaults reproduce the Windows
 * client of research/scep-windows.md §3.2: RSAES-OAEP key transport, AES-128-CBC, SHA-1 digest,
 * SignerInfo rsaEncryption, self-signed `CN=SCEP Protocol Certificate` with a critical AKI, a
 * 40-hex transactionID, POST to …/pkiclient.exe.
 */
import { createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { buildCsr, parseCertificate, readPkcs7Certificates, scep, type CertificateInfo, type KeyUsageName, type SanEntry } from '@enrollgate/pki';

export interface ClientOptions {
  digest?: scep.DigestName;
  cipher?: Exclude<scep.ContentCipher, 'des-cbc'>;
  keyTransport?: scep.KeyTransport;
  criticalAki?: boolean;
  signatureAlgorithm?: 'rsaEncryption' | 'hashWithRsa';
  modulusLength?: number;
}

export interface CaCerts {
  contentType: string;
  all: CertificateInfo[];
  /** the certificate to encrypt to: keyEncipherment, else the first */
  encryption: CertificateInfo;
}

export async function cryptoKeyPair(privateKey: KeyObject): Promise<webcrypto.CryptoKeyPair> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']),
  };
}

export class TestScepClient {
  readonly key: KeyObject;
  readonly signerCertificate: Uint8Array;
  readonly spki: Uint8Array;

  constructor(
    readonly url: string,
    readonly options: ClientOptions = {},
    key?: KeyObject,
  ) {
    this.key = key ?? generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 }).privateKey;
    this.signerCertificate = scep.createSignerCertificate({ privateKey: this.key, hash: options.digest ?? 'sha1', criticalAki: options.criticalAki ?? true });
    this.spki = scep.certificateSpki(this.signerCertificate);
  }

  get transactionId(): string {
    return scep.transactionIdFor(this.spki);
  }

  async getCaCaps(): Promise<string[]> {
    const r = await fetch(`${this.url}?operation=GetCACaps&message=default`);
    return (await r.text()).split(/\r?\n/).filter(Boolean);
  }

  async getCaCert(): Promise<CaCerts> {
    const r = await fetch(`${this.url}?operation=GetCACert&message=default`);
    const body = new Uint8Array(await r.arrayBuffer());
    const contentType = r.headers.get('content-type') ?? '';
    const all = contentType === 'application/x-x509-ca-cert' ? [parseCertificate(body)] : readPkcs7Certificates(body);
    const encryption = all.find((c) => c.keyUsages?.includes('keyEncipherment') && !c.isCa) ?? all[0]!;
    return { contentType, all, encryption };
  }

  async csr(options: {
    subject: string;
    challenge?: string;
    keyUsages?: KeyUsageName[];
    nameValuePairs?: { name: string; value: string }[];
    sans?: SanEntry[];
  }): Promise<Uint8Array> {
    const built = await buildCsr({
      subject: options.subject,
      keys: await cryptoKeyPair(this.key),
      ...(options.challenge !== undefined ? { challengePassword: options.challenge } : {}),
      keyUsages: options.keyUsages ?? ['digitalSignature', 'keyEncipherment'],
      ...(options.nameValuePairs ? { nameValuePairs: options.nameValuePairs } : {}),
      ...(options.sans ? { sans: options.sans } : {}),
      hash: (this.options.digest ?? 'sha1') === 'sha1' ? 'SHA-1' : 'SHA-256',
    });
    return built.der;
  }

  message(messageType: number, content: Uint8Array, recipient: CertificateInfo, transactionId = this.transactionId): Uint8Array {
    return scep.buildPkiRequest({
      messageType,
      transactionId,
      content,
      recipient: recipient.der,
      cipher: this.options.cipher ?? 'aes-128-cbc',
      keyTransport: this.options.keyTransport ?? { kind: 'rsaes-oaep', hash: 'sha1' },
      digest: this.options.digest ?? 'sha1',
      signerCertificate: this.signerCertificate,
      signerKey: this.key,
      signatureAlgorithm: this.options.signatureAlgorithm ?? 'rsaEncryption',
    });
  }

  async post(der: Uint8Array, contentType: string | null = 'application/x-pki-message'): Promise<Response> {
    return fetch(`${this.url}?operation=PKIOperation`, { method: 'POST', body: der, ...(contentType ? { headers: { 'content-type': contentType } } : {}) });
  }

  read(body: Uint8Array): scep.CertRepRead {
    return scep.readCertRep(body, { certificate: this.signerCertificate, key: this.key });
  }

  async send(der: Uint8Array): Promise<scep.CertRepRead> {
    const r = await this.post(der);
    if (r.status !== 200) throw new Error(`PKIOperation HTTP ${r.status}: ${await r.text()}`);
    if (r.headers.get('content-type') !== 'application/x-pki-message') throw new Error(`content-type ${r.headers.get('content-type')}`);
    return this.read(new Uint8Array(await r.arrayBuffer()));
  }

  async pkcsReq(ca: CaCerts, csr: Uint8Array, transactionId?: string): Promise<scep.CertRepRead> {
    return this.send(this.message(scep.MessageType.PKCSReq, csr, ca.encryption, transactionId));
  }

  async certPoll(ca: CaCerts, subject: Uint8Array, transactionId?: string): Promise<scep.CertRepRead> {
    const issuer = ca.all.find((c) => c.isCa)!.subjectDer;
    return this.send(this.message(scep.MessageType.CertPoll, scep.encodeIssuerAndSubject({ issuer, subject }), ca.encryption, transactionId));
  }
}
