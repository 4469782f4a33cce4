import { parseCsr, readCsr, verifyCsr } from './csr.js';
import { buildCsr } from './csr-builder.js';
import { generateKeyPair } from './keys.js';
import { Eku, Oid } from './oids.js';
import { encodePem } from './pem.js';
import { TempDir, openssl, opensslBytes, opensslOk } from './testing/openssl.js';

const CONFIG = `
[req]
prompt = no
distinguished_name = dn
attributes = attrs
req_extensions = ext
[dn]
CN = web.example.com
O = Example Corp
[attrs]
challengePassword = s3cret-Challenge
[ext]
subjectAltName = DNS:web.example.com,DNS:www.example.com,IP:192.0.2.10,IP:2001:db8::5,email:ops@example.com,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:host\\$@corp.example
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
`;

describe(parseCsr.name, () => {
  const tmp = new TempDir();
  const config = tmp.file('req.cnf', CONFIG);
  const makeCsr = (keyArgs: string[], extra: string[] = []): Uint8Array => {
    const key = tmp.join(`k${Math.random().toString(36).slice(2)}.pem`);
    opensslOk(['genpkey', ...keyArgs, '-out', key]);
    return opensslBytes(['req', '-new', '-key', key, '-config', config, '-outform', 'DER', ...extra]);
  };
  afterAll(() => tmp.cleanup());

  it.each([
    ['RSA 2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], [], { type: 'rsa', bits: 2048 }, 'sha256WithRSAEncryption'],
    ['EC P-256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], [], { type: 'ec', curve: 'P-256', bits: 256 }, 'ecdsa-with-SHA256'],
    [
      'EC P-384 with SHA-384',
      ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
      ['-sha384'],
      { type: 'ec', curve: 'P-384', bits: 384 },
      'ecdsa-with-SHA384',
    ],
    [
      'RSA 2048 with SHA-1 (Windows SCEP profiles)',
      ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      ['-sha1'],
      { type: 'rsa', bits: 2048 },
      'sha1WithRSAEncryption',
    ],
    [
      'RSA-PSS signature',
      ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'],
      { type: 'rsa', bits: 2048 },
      'RSASSA-PSS(sha256)',
    ],
    ['Ed25519', ['-algorithm', 'ED25519'], [], { type: 'ed25519', bits: 256 }, 'Ed25519'],
  ])('reads and verifies an openssl req CSR: %s', (_name, keyArgs, extra, publicKey, signatureName) => {
    const sut = readCsr(makeCsr(keyArgs, extra));
    expect(sut.subject).toBe('CN=web.example.com, O=Example Corp');
    expect(sut.commonName).toBe('web.example.com');
    expect(sut.publicKey).toEqual(publicKey);
    expect(sut.signatureAlgorithm.name).toBe(signatureName);
    expect(sut.challengePassword).toBe('s3cret-Challenge');
    expect(sut.sans).toEqual([
      { type: 'dns', value: 'web.example.com' },
      { type: 'dns', value: 'www.example.com' },
      { type: 'ip', value: '192.0.2.10' },
      { type: 'ip', value: '2001:db8::5' },
      { type: 'email', value: 'ops@example.com' },
      { type: 'upn', value: 'host$@corp.example' },
    ]);
    expect(sut.keyUsages).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(sut.extendedKeyUsages).toEqual([Eku.serverAuth, Eku.clientAuth]);
    expect(sut.requestedExtensions.map((e) => [e.oid, e.critical])).toEqual([
      [Oid.subjectAltName, false],
      [Oid.keyUsage, true],
      [Oid.extKeyUsage, false],
    ]);
  });

  it('accepts PEM text as well as DER', () => {
    const der = makeCsr(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    expect(parseCsr(encodePem('CERTIFICATE REQUEST', der)).der).toEqual(der);
  });

  it('rejects a CSR whose signature byte was flipped with BAD_SIGNATURE', () => {
    const der = Uint8Array.from(makeCsr(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']));
    der[der.length - 1]! ^= 0x01;
    const sut = parseCsr(der); // still parses: only the signature is wrong
    expect(() => verifyCsr(sut)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
  });

  it.each([
    ['RSA', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
    ['EC', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
  ])('rejects a %s CSR whose subject was altered after signing with BAD_SIGNATURE', (_name, keyArgs) => {
    const der = Uint8Array.from(makeCsr(keyArgs));
    const at = Buffer.from(der).indexOf('web.example.com');
    der[at] = 'x'.charCodeAt(0);
    expect(parseCsr(der).commonName).toBe('xeb.example.com');
    expect(() => readCsr(der)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
  });

  it.each([
    ['empty input', new Uint8Array(0)],
    ['random bytes', Uint8Array.from({ length: 64 }, (_, i) => (i * 73 + 11) & 0xff)],
    ['a lone SEQUENCE', Uint8Array.of(0x30, 0x00)],
    ['an INTEGER', Uint8Array.of(0x02, 0x01, 0x05)],
    ['BER indefinite length', Uint8Array.of(0x30, 0x80, 0x00, 0x00)],
  ])('rejects %s with BAD_CSR', (_name, input) => {
    expect(() => parseCsr(input)).toThrow(expect.objectContaining({ code: 'BAD_CSR' }));
  });

  it('rejects a truncated CSR and a certificate passed as a CSR with BAD_CSR', () => {
    const der = makeCsr(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    expect(() => parseCsr(der.subarray(0, der.length - 10))).toThrow(expect.objectContaining({ code: 'BAD_CSR' }));
    const key = tmp.join('cert-key.pem');
    opensslOk(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    const cert = opensslBytes(['req', '-x509', '-new', '-key', key, '-subj', '/CN=not a csr', '-outform', 'DER']);
    expect(() => parseCsr(cert)).toThrow(
      expect.objectContaining({
        code: 'BAD_CSR',
        details: expect.objectContaining({
          field: 'CertificationRequestInfo.version',
        }),
      }),
    );
  });

  it('rejects PEM without a CERTIFICATE REQUEST block with BAD_PEM', () => {
    expect(() => parseCsr(encodePem('CERTIFICATE', Uint8Array.of(0x30, 0)))).toThrow(expect.objectContaining({ code: 'BAD_PEM' }));
  });
});

describe(buildCsr.name, () => {
  const tmp = new TempDir();
  afterAll(() => tmp.cleanup());

  it.each([
    ['rsa2048', 'sha256WithRSAEncryption'],
    ['p256', 'ecdsa-with-SHA256'],
    ['p384', 'ecdsa-with-SHA384'],
  ] as const)('builds a %s CSR that openssl req -verify accepts', async (spec, sigName) => {
    const keys = await generateKeyPair(spec);
    const sut = await buildCsr({
      subject: 'CN=device-01, OU=fleet',
      keys,
      sans: [
        { type: 'dns', value: 'device-01.example.com' },
        { type: 'ip', value: '10.1.2.3' },
        { type: 'upn', value: 'device-01$@corp.example' },
        { type: 'email', value: 'dev@example.com' },
      ],
      keyUsages: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsages: [Eku.clientAuth],
      challengePassword: 'ABCDEF0123456789',
      nameValuePairs: [
        { name: 'ValidityPeriod', value: 'Days' },
        { name: 'ValidityPeriodUnits', value: '30' },
      ],
      templateName: 'IPSECIntermediateOffline',
    });
    const path = tmp.file(`${spec}.csr`, sut.pem);
    const out = openssl(['req', '-in', path, '-noout', '-verify', '-text']);
    expect(out.status).toBe(0);
    expect(out.stderr + out.stdout).toMatch(/verify OK|Certificate request self-signature verify OK/);
    expect(out.stdout).toContain('DNS:device-01.example.com');
    expect(out.stdout).toContain('IP Address:10.1.2.3');
    expect(out.stdout).toContain('challengePassword');
    const back = readCsr(sut.der);
    expect(back.signatureAlgorithm.name).toBe(sigName);
    expect(back.challengePassword).toBe('ABCDEF0123456789');
    expect(back.nameValuePairs).toEqual([
      { name: 'ValidityPeriod', value: 'Days' },
      { name: 'ValidityPeriodUnits', value: '30' },
    ]);
    expect(back.templateName).toBe('IPSECIntermediateOffline');
    expect(back.sans.map((s) => s.type)).toEqual(['dns', 'ip', 'upn', 'email']);
  });

  it('signs with SHA-1 when asked (the Windows SCEP HashAlgorithm=SHA-1 profile)', async () => {
    const sut = await buildCsr({
      subject: 'CN=win',
      keys: await generateKeyPair('rsa2048'),
      hash: 'SHA-1',
    });
    expect(readCsr(sut.der).signatureAlgorithm.name).toBe('sha1WithRSAEncryption');
  });
});
