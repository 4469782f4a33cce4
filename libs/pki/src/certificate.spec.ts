import { readFileSync } from 'node:fs';
import { createRootCa } from './ca.js';
import { certificateSerialNumber, parseCertificate } from './certificate.js';
import { encodePem, PemLabel } from './pem.js';
import { TempDir, opensslOk, opensslSelfSignedP256 } from './testing/openssl.js';

describe(`${parseCertificate.name} (parsed once per content)`, () => {
  it('the same certificate from another buffer or as PEM reads the same; each caller gets its own object', async () => {
    const ca = await createRootCa({ subject: 'CN=Cache Test CA' });
    const first = parseCertificate(ca.certificate.der);
    const again = parseCertificate(Uint8Array.from(ca.certificate.der));
    const pem = parseCertificate(encodePem(PemLabel.certificate, ca.certificate.der));
    expect(again).toEqual(first);
    expect(pem).toEqual(first);
    (again as { subject: string }).subject = 'CN=changed by a caller';
    expect(parseCertificate(ca.certificate.der).subject).toBe('CN=Cache Test CA');
  });

  it('a malformed certificate still throws every time (failures are not cached)', () => {
    const bad = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);
    expect(() => parseCertificate(bad)).toThrow();
    expect(() => parseCertificate(bad)).toThrow();
  });
});

describe(certificateSerialNumber.name, () => {
  // Expected values from Debian's openssl (`x509 -serial`), on certificates openssl made.
  const tmp = new TempDir();
  afterAll(() => tmp.cleanup());

  it.each(['1', '0x80', '0x00ff01', '0x7fd3a1b2c4d5e6f708192a3b4c5d6e7f80919293'])('reads serial %s as openssl does', (serial) => {
    const cert = tmp.join(`c-${serial}.pem`);
    opensslSelfSignedP256(tmp.join('k.pem'), cert, '/CN=serial', { days: 1, serial });
    const fromOpenssl = opensslOk(['x509', '-in', cert, '-noout', '-serial'])
      .trim()
      .replace(/^serial=/, '')
      .toLowerCase()
      .replace(/^(00)+(?=.)/, '');
    const pem = readFileSync(cert, 'utf8');
    expect(certificateSerialNumber(pem)).toBe(fromOpenssl);
    expect(certificateSerialNumber(pem)).toBe(parseCertificate(pem).serialNumber);
  });

  it('throws BAD_CERTIFICATE on bytes that are not a certificate', () => {
    expect(() => certificateSerialNumber(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toThrow(expect.objectContaining({ code: 'BAD_CERTIFICATE' }));
    expect(() => certificateSerialNumber(Uint8Array.of(0x30, 0x05, 0x30, 0x03, 0x04, 0x01, 0x00))).toThrow(
      expect.objectContaining({ code: 'BAD_CERTIFICATE' }),
    );
  });
});
