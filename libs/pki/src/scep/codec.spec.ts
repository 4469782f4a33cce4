/**
 * The CMS layers of the SCEP codec against OpenSSL as the independent peer: envelopes and
 * signatures made by `openssl cms` are opened and verified here; CertReps built here are verified
 * and decrypted by `openssl cms`, and their attributes read from `openssl cms -cmsout -print`.
 */
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TempDir, openssl, opensslBytes, opensslOk } from '../testing/openssl.js';
import { derFrom } from '../pem.js';
import { berToDer } from './asn1.js';
import { ScepOid, FailInfo } from './constants.js';
import { openEnvelope } from './enveloped-data.js';
import { isScepError } from './errors.js';
import { buildCertRep } from './message.js';
import { parseSignedData, verifySignerInfo, findSignerCertificate } from './signed-data.js';
import { derPrintable } from './asn1.js';

let dir: TempDir;
let raCert: Uint8Array;
let raKey: KeyObject;
let clientCert: Uint8Array;
let otherCert: Uint8Array;
let csr: Uint8Array;

beforeAll(() => {
  dir = new TempDir();
  const ext = ['-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', '-addext', 'extendedKeyUsage=1.3.6.1.4.1.311.20.2.1'];
  opensslOk([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    dir.join('ra.key'),
    '-out',
    dir.join('ra.pem'),
    '-subj',
    '/CN=Test SCEP RA',
    '-days',
    '2',
    ...ext,
  ]);
  opensslOk([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    dir.join('client.key'),
    '-out',
    dir.join('client.pem'),
    '-subj',
    '/CN=SCEP Protocol Certificate',
    '-days',
    '2',
  ]);
  opensslOk([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    dir.join('other.key'),
    '-out',
    dir.join('other.pem'),
    '-subj',
    '/CN=Someone else',
    '-days',
    '2',
  ]);
  opensslOk(['req', '-new', '-key', dir.join('client.key'), '-subj', '/CN=device-1', '-out', dir.join('csr.der'), '-outform', 'DER']);
  raCert = derFrom(readFileSync(dir.join('ra.pem'), 'latin1'), 'CERTIFICATE');
  raKey = createPrivateKey(readFileSync(dir.join('ra.key')));
  clientCert = derFrom(readFileSync(dir.join('client.pem'), 'latin1'), 'CERTIFICATE');
  otherCert = derFrom(readFileSync(dir.join('other.pem'), 'latin1'), 'CERTIFICATE');
  csr = new Uint8Array(readFileSync(dir.join('csr.der')));
});
afterAll(() => dir.cleanup());

function opensslEncrypt(args: string[], recipient = 'ra.pem'): Uint8Array {
  // -keyopt applies to the -recip before it
  return opensslBytes(['cms', '-encrypt', '-binary', '-outform', 'DER', '-recip', dir.join(recipient), ...args], csr);
}

describe(openEnvelope.name, () => {
  it.each([
    ['AES-128-CBC, PKCS#1 v1.5', ['-aes128'], 'aes-128-cbc'],
    ['AES-192-CBC', ['-aes192'], 'aes-192-cbc'],
    ['AES-256-CBC (certmonger)', ['-aes256'], 'aes-256-cbc'],
    ['3DES (strongSwan)', ['-des3'], 'des-ede3-cbc'],
    ['RSA-OAEP SHA-1 + AES-128 (Windows)', ['-aes128', '-keyopt', 'rsa_padding_mode:oaep'], 'aes-128-cbc'],
    ['RSA-OAEP SHA-256', ['-aes256', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'], 'aes-256-cbc'],
  ])('opens `openssl cms -encrypt` with %s', (_name, args, cipher) => {
    const sut = openEnvelope(opensslEncrypt(args), [{ certificate: raCert, key: raKey }]);
    expect(Buffer.from(sut.content).equals(Buffer.from(csr))).toBe(true);
    expect(sut.cipher).toBe(cipher);
  });

  it('single DES (micromdm scepclient) opens only when enabled', () => {
    const env = opensslBytes(['cms', '-encrypt', '-binary', '-outform', 'DER', '-des', '-provider', 'legacy', '-provider', 'default', dir.join('ra.pem')], csr);
    expect(() => openEnvelope(env, [{ certificate: raCert, key: raKey }])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_ALGORITHM' }));
    const sut = openEnvelope(env, [{ certificate: raCert, key: raKey }], { allowSingleDes: true });
    expect(Buffer.from(sut.content).equals(Buffer.from(csr))).toBe(true);
    expect(sut.cipher).toBe('des-cbc');
  });

  it('an envelope for another certificate is NOT_RECIPIENT', () => {
    expect(() => openEnvelope(opensslEncrypt(['-aes128'], 'other.pem'), [{ certificate: raCert, key: raKey }])).toThrow(
      expect.objectContaining({ code: 'NOT_RECIPIENT' }),
    );
  });

  it('no padding oracle: a corrupted wrapped key and a corrupted content fail with the same error', () => {
    const env = Buffer.from(opensslEncrypt(['-aes128']));
    const failure = (mutate: (b: Buffer) => void) => {
      const copy = Buffer.from(env);
      mutate(copy);
      try {
        openEnvelope(copy, [{ certificate: raCert, key: raKey }]);
        return 'opened';
      } catch (e) {
        return isScepError(e) ? `${e.code}: ${e.message}` : String(e);
      }
    };
    // the wrapped key is the 256-byte OCTET STRING after the recipient's AlgorithmIdentifier
    const keyAt = env.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00])) + 4;
    const badKey = failure((b) => (b[keyAt + 100]! ^= 0x01));
    const badContent = failure((b) => (b[b.length - 1]! ^= 0x01));
    expect(badKey).toBe('DECRYPT_FAILED: the envelope does not decrypt');
    expect(badContent).toBe(badKey);
  });
});

describe(verifySignerInfo.name, () => {
  it.each(['sha1', 'sha256', 'sha512'])('verifies `openssl cms -sign -md %s`', (md) => {
    const der = opensslBytes(
      ['cms', '-sign', '-nodetach', '-binary', '-outform', 'DER', '-md', md, '-signer', dir.join('client.pem'), '-inkey', dir.join('client.key')],
      csr,
    );
    const sd = parseSignedData(der);
    const signer = sd.signers[0]!;
    expect(Buffer.from(sd.content!).equals(Buffer.from(csr))).toBe(true);
    expect(signer.digest).toBe(md);
    expect(() => verifySignerInfo(signer, sd.content, findSignerCertificate(sd, signer).spki)).not.toThrow();
    const tampered = new Uint8Array(sd.content!);
    tampered[10]! ^= 1;
    expect(() => verifySignerInfo(signer, tampered, findSignerCertificate(sd, signer).spki)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
  });

  it('reads BER from a streaming signer (`openssl cms -sign -stream`: indefinite lengths, chunked content)', () => {
    const ber = opensslBytes(
      ['cms', '-sign', '-stream', '-nodetach', '-binary', '-outform', 'DER', '-signer', dir.join('client.pem'), '-inkey', dir.join('client.key')],
      randomBytes(5000),
    );
    expect(ber[1]).toBe(0x80); // indefinite length at the top: really BER
    const sd = parseSignedData(ber);
    const signer = sd.signers[0]!;
    expect(() => verifySignerInfo(signer, sd.content, findSignerCertificate(sd, signer).spki)).not.toThrow();
    expect(berToDer(sd.der)).toEqual(sd.der);
  });
});

describe(buildCertRep.name, () => {
  const tid = derPrintable('252e27f890ea721a5a5790225ce6b42a02d14fbf');
  const nonce = randomBytes(16);

  function print(der: Uint8Array): string {
    return opensslOk(['cms', '-cmsout', '-print', '-inform', 'DER'], der);
  }

  it('SUCCESS: openssl verifies the RA signature, decrypts with the requester key, and finds the certificates in order', () => {
    const sut = buildCertRep({
      outcome: { status: 'SUCCESS', certificates: [otherCert, raCert] },
      transactionIdDer: tid,
      recipientNonce: nonce,
      digest: 'sha1',
      signerCertificate: raCert,
      signerKey: raKey,
      recipientCertificate: clientCert,
      requestCipher: 'aes-128-cbc',
    });
    const envelope = opensslBytes(['cms', '-verify', '-inform', 'DER', '-CAfile', dir.join('ra.pem'), '-purpose', 'any'], sut);
    const inner = opensslBytes(['cms', '-decrypt', '-inform', 'DER', '-recip', dir.join('client.pem'), '-inkey', dir.join('client.key')], envelope);
    const pems = opensslOk(['pkcs7', '-inform', 'DER', '-print_certs'], inner).match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    expect(pems.map((p) => Buffer.from(derFrom(p, 'CERTIFICATE')).toString('hex'))).toEqual([otherCert, raCert].map((c) => Buffer.from(c).toString('hex')));
    const text = print(sut);
    expect(text).toMatch(/2\.16\.840\.1\.113733\.1\.9\.2\)\s+set:\s+PRINTABLESTRING:3\b/);
    expect(text).toMatch(/2\.16\.840\.1\.113733\.1\.9\.3\)\s+set:\s+PRINTABLESTRING:0\b/);
    expect(text).toMatch(/2\.16\.840\.1\.113733\.1\.9\.7\)\s+set:\s+PRINTABLESTRING:252e27f890ea721a5a5790225ce6b42a02d14fbf/);
    expect(text).toContain('2.16.840.1.113733.1.9.5'); // senderNonce
    expect(text).toMatch(/signatureAlgorithm:\s+algorithm: rsaEncryption/); // strongSwan's requirement
    expect(text).toMatch(/digestAlgorithm:\s+algorithm: sha1/);
    const recipientNonce = /2\.16\.840\.1\.113733\.1\.9\.6\)\s+set:\s+OCTET STRING:\s+0000 - ([0-9a-f -]+)/.exec(text)![1]!.replace(/[ -]/g, '');
    expect(recipientNonce.slice(0, 26)).toBe(nonce.toString('hex').slice(0, 26));
  });

  it('a single-DES request is answered with 3DES, never DES', () => {
    const sut = buildCertRep({
      outcome: { status: 'SUCCESS', certificates: [otherCert] },
      transactionIdDer: tid,
      digest: 'sha256',
      signerCertificate: raCert,
      signerKey: raKey,
      recipientCertificate: clientCert,
      requestCipher: 'des-cbc',
    });
    const envelope = opensslBytes(['cms', '-verify', '-inform', 'DER', '-noverify'], sut);
    expect(opensslOk(['cms', '-cmsout', '-print', '-inform', 'DER'], envelope)).toContain('des-ede3-cbc');
  });

  it.each([
    ['FAILURE badRequest', { status: 'FAILURE' as const, failInfo: FailInfo.badRequest, failInfoText: 'challenge password refused' }, '2'],
    ['PENDING', { status: 'PENDING' as const }, '3'],
  ])('%s: signed, no content, pkiStatus %s', (_name, outcome, status) => {
    const sut = buildCertRep({ outcome, transactionIdDer: tid, recipientNonce: nonce, digest: 'sha256', signerCertificate: raCert, signerKey: raKey });
    // no eContent: openssl treats it as detached, the signed content is empty
    const verified = openssl(
      ['cms', '-verify', '-inform', 'DER', '-CAfile', dir.join('ra.pem'), '-purpose', 'any', '-content', '/dev/null', '-out', '/dev/null'],
      sut,
    );
    expect(verified.stderr).toContain('Verification successful');
    const text = print(sut);
    expect(text).toMatch(new RegExp(`2\\.16\\.840\\.1\\.113733\\.1\\.9\\.3\\)\\s+set:\\s+PRINTABLESTRING:${status}\\b`));
    expect(text).toMatch(/eContent: <ABSENT>/);
    if (outcome.status === 'FAILURE') {
      expect(text).toMatch(/2\.16\.840\.1\.113733\.1\.9\.4\)\s+set:\s+PRINTABLESTRING:2\b/);
      expect(text).toContain(`(${ScepOid.failInfoText})`);
      expect(text).toContain('challenge password refused');
    } else expect(text).not.toContain('2.16.840.1.113733.1.9.4');
  });
});
