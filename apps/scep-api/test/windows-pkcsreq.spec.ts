/**
 * The real Windows PKCSReq recorded in smallstep/pkcs7 (fixtures/README.md): it parses and its
 * outer signature verifies with its own signer, the self-signed `CN=SCEP Protocol Certificate`
 * whose AuthorityKeyIdentifier is marked critical (Go ≥ 1.23 refuses it; we must not).
 * Expected values read with `openssl cms -cmsout -print` from the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scep } from '@enrollgate/pki';

const der = new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', 'windows-pkcsreq.der')));

describe('Windows PKCSReq (smallstep/pkcs7 test vector)', () => {
  it('parses with the SCEP attributes Windows sends', () => {
    const sut = scep.parsePkiMessage(der);
    expect(sut.messageType).toBe(scep.MessageType.PKCSReq);
    expect(sut.transactionId).toBe('252e27f890ea721a5a5790225ce6b42a02d14fbf');
    expect(Buffer.from(sut.senderNonce!).toString('hex')).toBe('28b08c77524a9856ab3a22fa889ea86d');
    expect(sut.digest).toBe('sha1');
    expect(sut.signer.signatureAlgorithm).toBe(scep.ScepOid.rsaEncryption);
    expect(sut.recipientNonce).toBeUndefined();
  });

  it('Windows signer with a critical AKI: its signature verifies', () => {
    const sut = scep.parsePkiMessage(der);
    expect(sut.signerCertificate.info?.subject).toBe('CN=SCEP Protocol Certificate');
    expect(() => scep.verifyPkiMessage(sut)).not.toThrow();
  });

  it('its envelope uses RSAES-OAEP with default (SHA-1) parameters and AES-128-CBC', () => {
    const env = scep.parseEnvelopedData(scep.parsePkiMessage(der).envelope!);
    expect(env.cipher).toBe('aes-128-cbc');
    expect(env.recipients).toHaveLength(1);
    expect(env.recipients[0]!.keyTransport).toEqual({ kind: 'rsaes-oaep', hash: 'sha1' });
  });

  it('a flipped bit in the signed content is refused (BAD_SIGNATURE)', () => {
    const copy = new Uint8Array(der);
    copy[600]! ^= 1;
    expect(() => scep.verifyPkiMessage(scep.parsePkiMessage(copy))).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
  });
});
