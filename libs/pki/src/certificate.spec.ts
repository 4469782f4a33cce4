import { createRootCa } from './ca.js';
import { parseCertificate } from './certificate.js';
import { encodePem, PemLabel } from './pem.js';

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
