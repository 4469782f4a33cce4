import { buildCertsOnlyPkcs7, orderChain, readPkcs7Certificates, readPkcs7Chain } from './pkcs7.js';
import { createRootCa, type CertificateAuthority } from './ca.js';
import { buildCsr } from './csr-builder.js';
import { generateKeyPair } from './keys.js';
import { certificatePem } from './certificate.js';
import { TempDir, opensslBytes, opensslOk } from './testing/openssl.js';
import { encodePem } from './pem.js';

interface Fixture {
  root: CertificateAuthority;
  sub: CertificateAuthority;
  leaf: Uint8Array;
}

async function fixture(): Promise<Fixture> {
  const root = await createRootCa({ subject: 'CN=P7 Root', key: 'p256' });
  const sub = await root.createSubordinate({
    subject: 'CN=P7 Issuing',
    key: 'p256',
  });
  const csr = await buildCsr({
    subject: 'CN=leaf.example.com',
    keys: await generateKeyPair('p256'),
  });
  const leaf = (
    await sub.issue({
      csr: csr.der,
      validityDays: 1,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: [],
    })
  ).der;
  return { root, sub, leaf };
}

describe(buildCertsOnlyPkcs7.name, () => {
  const tmp = new TempDir();
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(() => tmp.cleanup());

  it('builds leaf + chain that openssl pkcs7 -print_certs lists in order', () => {
    const sut = buildCertsOnlyPkcs7([f.leaf, f.sub.certificate.der, f.root.certificate.der]);
    const printed = opensslOk(['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], sut);
    expect(printed.match(/subject=.*/g)).toEqual(['subject=CN = leaf.example.com', 'subject=CN = P7 Issuing', 'subject=CN = P7 Root']);
    // degenerate: no signers, eContent absent (as openssl crl2pkcs7 -nocrl makes it)
    const asn1 = opensslOk(['asn1parse', '-inform', 'DER'], sut);
    expect(asn1).toContain(':pkcs7-signedData');
    // encapContentInfo holds only the type: the next element is the certificates [0] at depth 3
    expect(asn1).toMatch(/d=4 .*:pkcs7-data\s*\n\s*\d+:d=3 .*cont \[ 0 \]/);
    // signerInfos: an empty SET closes the SignedData
    expect(asn1.trimEnd().split('\n').at(-1)).toMatch(/d=3 .*l= *0 cons: SET/);
  });

  it('refuses to wrap bytes that are not certificates', () => {
    expect(() => buildCertsOnlyPkcs7([Uint8Array.of(1, 2, 3)])).toThrow(expect.objectContaining({ code: 'BAD_CERTIFICATE' }));
    expect(() => buildCertsOnlyPkcs7([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe(readPkcs7Chain.name, () => {
  const tmp = new TempDir();
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(() => tmp.cleanup());

  const subjects = (certs: readonly { subject: string }[]): string[] => certs.map((c) => c.subject);

  it.each([
    ['leaf, issuing, root', [0, 1, 2]],
    ['root, leaf, issuing', [2, 0, 1]],
    ['issuing, root, leaf', [1, 2, 0]],
    ['root, issuing, leaf', [2, 1, 0]],
  ])('orders an openssl crl2pkcs7 bundle given as %s leaf→root', (_name, order) => {
    const all = [f.leaf, f.sub.certificate.der, f.root.certificate.der];
    const files = order.map((i, n) => tmp.file(`c${order.join('')}-${n}.pem`, certificatePem(all[i]!)));
    const p7 = opensslBytes(['crl2pkcs7', '-nocrl', '-outform', 'DER', ...files.flatMap((p) => ['-certfile', p])]);
    const sut = readPkcs7Chain(p7);
    expect(subjects(sut.chain)).toEqual(['CN=leaf.example.com', 'CN=P7 Issuing', 'CN=P7 Root']);
    expect(sut.leaf.der).toEqual(f.leaf);
    expect(subjects(sut.certificates)).toEqual(
      order.map(
        (i) =>
          subjects([
            {
              subject: ['CN=leaf.example.com', 'CN=P7 Issuing', 'CN=P7 Root'][i]!,
            },
          ])[0],
      ),
    );
  });

  it('reads PEM "PKCS7" too, and uses the given leaf (ICPR pctbEncodedCert) when it travels apart', () => {
    const p7 = buildCertsOnlyPkcs7([f.root.certificate.der, f.sub.certificate.der]);
    const sut = readPkcs7Chain(encodePem('PKCS7', p7), { leaf: f.leaf });
    expect(subjects(sut.chain)).toEqual(['CN=leaf.example.com', 'CN=P7 Issuing', 'CN=P7 Root']);
  });

  it('stops where the bundle ends when the root is missing', () => {
    const sut = readPkcs7Chain(buildCertsOnlyPkcs7([f.sub.certificate.der, f.leaf]));
    expect(subjects(sut.chain)).toEqual(['CN=leaf.example.com', 'CN=P7 Issuing']);
  });

  it('refuses to guess between two end-entity certificates (BAD_CHAIN) but orders them when told', async () => {
    const csr = await buildCsr({
      subject: 'CN=other',
      keys: await generateKeyPair('p256'),
    });
    const other = (
      await f.sub.issue({
        csr: csr.der,
        validityDays: 1,
        keyUsages: ['digitalSignature'],
        extendedKeyUsages: [],
      })
    ).der;
    const certs = readPkcs7Certificates(buildCertsOnlyPkcs7([f.leaf, other, f.sub.certificate.der]));
    expect(() => orderChain(certs)).toThrow(expect.objectContaining({ code: 'BAD_CHAIN' }));
    expect(subjects(orderChain(certs, other))).toEqual(['CN=other', 'CN=P7 Issuing']);
  });

  it.each([
    ['garbage', Uint8Array.of(0xde, 0xad, 0xbe, 0xef)],
    ['empty', new Uint8Array(0)],
    ['a certificate instead of PKCS#7', new Uint8Array(0)],
    ['truncated', new Uint8Array(0)],
    ['data content type', Uint8Array.from(Buffer.from('300f06092a864886f70d010701a0020400', 'hex'))],
  ])('rejects %s with BAD_PKCS7', (name, input) => {
    let bytes: Uint8Array = input;
    if (name === 'a certificate instead of PKCS#7') bytes = f.leaf;
    if (name === 'truncated') bytes = buildCertsOnlyPkcs7([f.leaf]).subarray(0, 100);
    expect(() => readPkcs7Chain(bytes)).toThrow(expect.objectContaining({ code: 'BAD_PKCS7' }));
  });

  it('reports a corrupt certificate inside the bundle with its index and offset', () => {
    const p7 = Uint8Array.from(buildCertsOnlyPkcs7([f.leaf, f.sub.certificate.der]));
    const second = Buffer.from(p7).indexOf(Buffer.from(f.sub.certificate.der));
    p7[second + 4] = 0x05; // the TBSCertificate tag becomes NULL
    expect(() => readPkcs7Certificates(p7)).toThrow(
      expect.objectContaining({
        code: 'BAD_PKCS7',
        details: { field: 'SignedData.certificates[1]', offset: second },
      }),
    );
  });
});
