import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateAuthority, DEFAULT_BACKDATE_MS, createRootCa, issueWithGenerator, type IssueRequest } from './ca.js';
import { DerReader, Tag, tlvRaw } from './der.js';
import { parseCsr } from './csr.js';
import { x509 } from './x509.js';
import { buildCsr } from './csr-builder.js';
import { generateKeyPair, type KeySpec } from './keys.js';
import { Eku, Oid } from './oids.js';
import { certificatePem, parseCertificate, verifyIssuedBy } from './certificate.js';
import { TempDir, openssl, opensslOk, opensslSelfSignedP256 } from './testing/openssl.js';
import { encodePemBlocks } from './pem.js';

const DAY = 86_400_000;

async function csrFor(subject: string, spec: KeySpec = 'p256', sans = [{ type: 'dns' as const, value: 'app.example.com' }]): Promise<Uint8Array> {
  return (await buildCsr({ subject, keys: await generateKeyPair(spec), sans })).der;
}

describe(CertificateAuthority.name, () => {
  const tmp = new TempDir();
  afterAll(() => tmp.cleanup());

  /** openssl verify against the root, with intermediates untrusted; returns the openssl output. */
  function verifyWithOpenssl(ca: CertificateAuthority, leafPem: string, name: string): string {
    const root = tmp.file(`${name}-root.pem`, certificatePem(ca.root));
    const untrusted = tmp.file(
      `${name}-untrusted.pem`,
      encodePemBlocks(
        'CERTIFICATE',
        ca.chain.slice(0, -1).map((c) => c.der),
      ) || certificatePem(ca.root),
    );
    const leaf = tmp.file(`${name}-leaf.pem`, leafPem);
    const r = openssl(['verify', '-CAfile', root, '-untrusted', untrusted, '-purpose', 'any', leaf]);
    return `${r.status} ${r.stdout}${r.stderr}`;
  }

  it.each([
    ['rsa2048', 'rsa2048', false],
    ['p256', 'rsa2048', false],
    ['p384', 'p256', false],
    ['rsa3072', 'p256', true],
    ['p256', 'p384', true],
  ] as const)('a %s CA issues for a %s key, verified by openssl (intermediate: %s)', async (caKey, leafKey, intermediate) => {
    const root = await createRootCa({
      subject: 'CN=Test Root CA, O=enrollgate',
      key: caKey,
    });
    const sut = intermediate
      ? await root.createSubordinate({
          subject: 'CN=Test Issuing CA',
          key: caKey,
        })
      : root;
    const issued = await sut.issue({
      csr: await csrFor('CN=app.example.com, O=Apps', leafKey),
      validityDays: 90,
      keyUsages: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsages: [Eku.serverAuth, Eku.clientAuth],
    });
    expect(verifyWithOpenssl(sut, issued.pem, `${caKey}-${leafKey}-${intermediate}`)).toMatch(/^0 .*: OK/);
    expect(issued.chain).toHaveLength(intermediate ? 3 : 2);
    verifyIssuedBy(issued.der, sut.certificate);

    const leafPath = tmp.file(`${caKey}-${leafKey}-text.pem`, issued.pem);
    const text = opensslOk(['x509', '-in', leafPath, '-noout', '-text']);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s*\n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s*\n\s+DNS:app.example.com/);
    expect(text).toMatch(/Subject: CN = app.example.com, O = Apps/);
    // AKI of the leaf = SKI of the CA
    expect(issued.info.authorityKeyId).toBe(sut.certificate.subjectKeyId);
    expect(issued.info.subjectKeyId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('gives the root CA:TRUE, keyCertSign and cRLSign (and pathlen:0 on an intermediate)', async () => {
    const root = await createRootCa({ subject: 'CN=Root X' });
    const sub = await root.createSubordinate({
      subject: 'CN=Sub X',
      key: 'p256',
    });
    const rootText = opensslOk(['x509', '-noout', '-ext', 'basicConstraints,keyUsage'], certificatePem(root.certificate));
    expect(rootText).toMatch(/critical\s+CA:TRUE/);
    expect(rootText).toMatch(/Digital Signature, Certificate Sign, CRL Sign/);
    expect(opensslOk(['x509', '-noout', '-ext', 'basicConstraints'], certificatePem(sub.certificate))).toMatch(/CA:TRUE, pathlen:0/);
    expect(sub.root.der).toEqual(root.certificate.der);
  });

  it('issues random 128-bit positive serials, or the serial asked for', async () => {
    const sut = await createRootCa({ subject: 'CN=Serial CA', key: 'p256' });
    const csr = await csrFor('CN=s');
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const issued = await sut.issue({
        csr,
        validityDays: 1,
        keyUsages: ['digitalSignature'],
        extendedKeyUsages: [],
      });
      const serial = opensslOk(['x509', '-noout', '-serial'], issued.pem).trim().replace('serial=', '');
      expect(serial.toLowerCase()).toBe(issued.info.serialNumber.padStart(serial.length, '0'));
      expect(BigInt('0x' + serial)).toBeGreaterThan(0n);
      expect(BigInt('0x' + serial)).toBeLessThan(1n << 128n);
      serials.add(serial);
    }
    expect(serials.size).toBe(5);
    const fixed = await sut.issue({
      csr,
      validityDays: 1,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
      serial: 0xfedcban,
    });
    expect(opensslOk(['x509', '-noout', '-serial'], fixed.pem).trim()).toBe('serial=FEDCBA');
  });

  it('sets the dates from validityDays (notBefore back-dated 10 minutes) and caps them at the CA notAfter', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const sut = await createRootCa({
      subject: 'CN=Short CA',
      key: 'p256',
      validityDays: 30,
      now,
    });
    const csr = await csrFor('CN=dates');
    const issued = await sut.issue({
      csr,
      validityDays: 10,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
      now,
    });
    const dates = opensslOk(['x509', '-noout', '-dates'], issued.pem);
    expect(dates).toContain('notBefore=Dec 31 23:50:00 2029 GMT');
    expect(dates).toContain('notAfter=Jan 11 00:00:00 2030 GMT');
    const capped = await sut.issue({
      csr,
      validityDays: 365,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
      now,
    });
    expect(capped.info.notAfter.getTime()).toBe(sut.certificate.notAfter.getTime());
    expect(capped.info.notAfter.getTime() - now.getTime()).toBe(30 * DAY);
  });

  it('copies the CSR subject bytes unchanged, or applies subjectOverride and explicit SANs', async () => {
    const sut = await createRootCa({ subject: 'CN=Policy CA', key: 'p256' });
    const csr = await csrFor('CN=requested.example.com, O=Req', 'p256', [
      { type: 'dns', value: 'requested.example.com' },
      { type: 'dns', value: 'evil.example.org' },
    ]);
    const copied = await sut.issue({
      csr,
      validityDays: 1,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
    });
    expect(copied.info.sans.map((s) => s.value)).toEqual(['requested.example.com', 'evil.example.org']);
    const filtered = await sut.issue({
      csr,
      validityDays: 1,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
      subjectOverride: 'CN=requested.example.com',
      sans: [
        { type: 'dns', value: 'requested.example.com' },
        { type: 'ip', value: '2001:db8::1' },
        { type: 'upn', value: 'svc@corp.example' },
      ],
    });
    const text = opensslOk(['x509', '-noout', '-subject', '-ext', 'subjectAltName'], filtered.pem);
    expect(text).toContain('subject=CN = requested.example.com\n');
    expect(text).toContain('DNS:requested.example.com, IP Address:2001:DB8:0:0:0:0:0:1, othername: UPN::svc@corp.example');
    const parsedCsr = (await import('./csr.js')).parseCsr(csr);
    expect(copied.info.subjectDer).toEqual(parsedCsr.subjectDer);
  });

  it('marks the SAN critical when the subject is empty (RFC 5280 §4.2.1.6)', async () => {
    const sut = await createRootCa({ subject: 'CN=Empty CA', key: 'p256' });
    const issued = await sut.issue({
      csr: await csrFor('CN=x'),
      subjectOverride: '',
      sans: [{ type: 'email', value: 'a@example.com' }],
      validityDays: 1,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [Eku.emailProtection],
    });
    expect(opensslOk(['x509', '-noout', '-ext', 'subjectAltName'], issued.pem)).toMatch(/Subject Alternative Name: critical\s+email:a@example.com/);
    expect(verifyWithOpenssl(sut, issued.pem, 'empty')).toMatch(/: OK/);
  });

  it('adds extra extensions such as the Microsoft template name', async () => {
    const sut = await createRootCa({ subject: 'CN=Ext CA', key: 'p256' });
    const bmp = Uint8Array.of(0x1e, 0x06, 0, 0x57, 0, 0x65, 0, 0x62); // BMPString "Web"
    const issued = await sut.issue({
      csr: await csrFor('CN=x'),
      validityDays: 1,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
      extraExtensions: [{ oid: Oid.msCertificateTemplateName, critical: false, value: bmp }],
    });
    expect(issued.info.extensionOids).toContain(Oid.msCertificateTemplateName);
  });

  it('refuses a tampered CSR with BAD_SIGNATURE', async () => {
    const sut = await createRootCa({ subject: 'CN=Strict CA', key: 'p256' });
    const der = Uint8Array.from(await csrFor('CN=honest'));
    der[Buffer.from(der).indexOf('honest')] = 0x48;
    await expect(
      sut.issue({
        csr: der,
        validityDays: 1,
        keyUsages: ['digitalSignature'],
        extendedKeyUsages: [],
      }),
    ).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('saves to and loads from a directory (key 0600), and still issues after loading', async () => {
    const root = await createRootCa({ subject: 'CN=Saved Root' });
    const sub = await root.createSubordinate({
      subject: 'CN=Saved Issuing',
      key: 'p256',
    });
    const dir = tmp.join('saved');
    await sub.save(dir);
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const sut = await CertificateAuthority.load(dir);
    expect(sut.certificate.der).toEqual(sub.certificate.der);
    expect(sut.parents.map((p) => p.subject)).toEqual(['CN=Saved Root']);
    const issued = await sut.issue({
      csr: await csrFor('CN=after-load'),
      validityDays: 5,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [Eku.clientAuth],
    });
    expect(verifyWithOpenssl(sut, issued.pem, 'loaded')).toMatch(/: OK/);
  });

  it('loads an openssl-made CA (SEC1 EC key) and rejects a key that does not match the certificate', async () => {
    const dir = tmp.join('openssl-ca');
    opensslSelfSignedP256(tmp.join('k.pem'), tmp.join('c.pem'), '/CN=OpenSSL CA');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'key.pem'), opensslOk(['ec', '-in', tmp.join('k.pem')])); // "EC PRIVATE KEY"
    writeFileSync(join(dir, 'cert.pem'), readFileSync(tmp.join('c.pem')));
    const sut = await CertificateAuthority.load(dir);
    expect(sut.subject).toBe('CN=OpenSSL CA');
    const issued = await sut.issue({
      csr: await csrFor('CN=x'),
      validityDays: 1,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
    });
    expect(parseCertificate(issued.der).issuer).toBe('CN=OpenSSL CA');

    opensslOk(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'key.pem')]);
    await expect(CertificateAuthority.load(dir)).rejects.toMatchObject({
      code: 'BAD_KEY',
    });
    await expect(CertificateAuthority.load(tmp.join('missing'))).rejects.toMatchObject({ code: 'CA_STORE' });
  });
});

describe('CertificateAuthority.issue direct encoding', () => {
  function tbsOf(der: Uint8Array): string {
    const r = new DerReader(der, 'BAD_CERTIFICATE');
    const [tbs] = r.childrenOf(r.readRoot('Certificate'), Tag.SEQUENCE, 'Certificate');
    return Buffer.from(tlvRaw(tbs!)).toString('hex');
  }

  it.each([
    ['rsa2048', 'p256', {}],
    ['p256', 'p256', {}],
    ['p384', 'rsa2048', { subjectOverride: 'CN=Override, O=Org' }],
    ['rsa3072', 'p384', { subjectOverride: '', sans: [{ type: 'dns' as const, value: 'only.example.com' }] }],
    ['p256', 'p256', { sans: [], extendedKeyUsages: [], serial: 'ff00000000000000000000000000000001' }],
    [
      'p256',
      'p256',
      { extraExtensions: [{ oid: Oid.msCertificateTemplateName, critical: false, value: Uint8Array.of(0x1e, 2, 0, 0x41) }], serial: '00000007' },
    ],
    ['p256', 'p256', { caValidityDays: 40_000, validityDays: 30_000 }],
  ] as const)('a %s CA issuing for a %s key writes the TBSCertificate the x509 generator writes (%j)', async (caKey, leafKey, variant) => {
    const { caValidityDays, ...overrides } = variant as { caValidityDays?: number } & Partial<IssueRequest>;
    const ca = await createRootCa({ subject: 'CN=Direct Root, O=enrollgate', key: caKey, ...(caValidityDays ? { validityDays: caValidityDays } : {}) });
    const csr = parseCsr(await csrFor('CN=leaf.example.com, O=Apps', leafKey, [{ type: 'dns', value: 'leaf.example.com' }]));
    const now = new Date('2026-03-04T05:06:07.890Z');
    const req: IssueRequest = {
      csr,
      validityDays: 90,
      keyUsages: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsages: [Eku.serverAuth],
      serial: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      now,
      ...overrides,
    };
    const issued = await ca.issue(req);
    const subjectDer = req.subjectOverride === undefined ? csr.subjectDer : new Uint8Array(new x509.Name(req.subjectOverride).toArrayBuffer());
    const reference = await issueWithGenerator(ca, req, csr, {
      serialNumber: issued.serialNumber,
      subjectDer,
      notBefore: new Date(now.getTime() - DEFAULT_BACKDATE_MS),
      notAfter: new Date(Math.min(now.getTime() + req.validityDays * DAY, ca.certificate.notAfter.getTime())),
    });
    expect(tbsOf(issued.der)).toBe(tbsOf(reference));
    expect(() => verifyIssuedBy(issued.info, ca.certificate)).not.toThrow();
    expect(issued.info.serialNumber).toBe(issued.serialNumber);
  });
});
