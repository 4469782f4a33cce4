import { sha1Thumbprint, sha256Thumbprint } from './thumbprint.js';
import { normaliseSerial, randomSerial } from './serial.js';
import { createRootCa } from './ca.js';
import { certificatePem } from './certificate.js';
import { opensslOk } from './testing/openssl.js';

describe(sha1Thumbprint.name, () => {
  it('matches openssl x509 -fingerprint for SHA-1 (MDM CAThumbprint form) and SHA-256', async () => {
    const ca = await createRootCa({ subject: 'CN=Thumb', key: 'p256' });
    const pem = certificatePem(ca.certificate);
    const fp = (alg: string): string =>
      opensslOk(['x509', '-noout', '-fingerprint', `-${alg}`], pem)
        .split('=')[1]!
        .trim()
        .replace(/:/g, '');
    expect(sha1Thumbprint(ca.certificate.der)).toBe(fp('sha1'));
    expect(sha1Thumbprint(ca.certificate.der)).toMatch(/^[0-9A-F]{40}$/);
    expect(sha256Thumbprint(ca.certificate.der)).toBe(fp('sha256'));
    expect(ca.certificate.sha1Thumbprint).toBe(fp('sha1'));
  });
});

describe(normaliseSerial.name, () => {
  it.each([
    ['0x-less hex', 'FEDCBA', 'fedcba'],
    ['leading zeros', '000102', '0102'],
    ['colons', '01:02:03', '010203'],
    ['odd length', 'abc', '0abc'],
    ['bigint', 255n, 'ff'],
  ] as const)('normalises %s', (_name, input, expected) => {
    expect(normaliseSerial(input)).toBe(expected);
  });

  it.each([
    ['zero', '00'],
    ['negative bigint', -1n],
    ['not hex', 'xyz'],
    ['21 octets', '01'.repeat(21)],
    ['20 octets plus sign octet', 'ff'.repeat(20)],
  ] as const)('rejects %s with INVALID_ARGUMENT', (_name, input) => {
    expect(() => normaliseSerial(input)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('randomSerial gives 16 octets with a non-zero first octet', () => {
    for (let i = 0; i < 50; i++) expect(randomSerial()).toMatch(/^(?!00)[0-9a-f]{32}$/);
  });
});
