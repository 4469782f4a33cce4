import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Oid, certificatePem, encodePem, encodePemBlocks, parseCertificate, readPkcs7Chain } from '@enrollgate/pki';
import { SimCaEngine, SimCaError } from './engine.js';
import { Disposition, HResult } from './hresult.js';
import { TemplateCatalog } from './templates.js';
import { csr, openssl, opensslOk, opensslValidityDays, tempDir } from './testing.js';

const CA = 'sim-CA';
const attrs = (template: string, extra = ''): string => `CertificateTemplate:${template}${extra}`;

describe(SimCaEngine.name, () => {
  const tmp = tempDir();
  let sut: SimCaEngine;
  let n = 0;
  const stateDir = (): string => join(tmp.path, `state-${++n}`);

  beforeAll(async () => {
    sut = await SimCaEngine.open({
      stateDir: join(tmp.path, 'main'),
      caName: CA,
    });
  });
  afterAll(() => tmp.cleanup());

  /** openssl verify of an issued certificate against the state dir's ca.pem / chain.pem. */
  function verify(dir: string, certificate: Uint8Array): string {
    const leaf = tmp.file(`leaf-${++n}.pem`, certificatePem(certificate));
    const r = openssl(['verify', '-CAfile', join(dir, 'ca.pem'), '-untrusted', join(dir, 'chain.pem'), '-purpose', 'any', leaf]);
    return r.out.trim();
  }

  describe('issuing with each built-in template (checked with openssl)', () => {
    it.each([
      [
        'WebServer',
        'CN=www.example.com',
        { sans: [{ type: 'dns', value: 'www.example.com' }] },
        'Digital Signature, Key Encipherment',
        'TLS Web Server Authentication',
        730,
      ],
      [
        'WebServerModified',
        'CN=acme.example.com',
        { key: 'p256', sans: [{ type: 'dns', value: 'acme.example.com' }] },
        'Digital Signature',
        'TLS Web Server Authentication, TLS Web Client Authentication',
        90,
      ],
      [
        'Machine',
        'CN=host01.corp.example',
        { sans: [{ type: 'dns', value: 'host01.corp.example' }] },
        'Digital Signature, Key Encipherment',
        'TLS Web Client Authentication, TLS Web Server Authentication',
        365,
      ],
      [
        'User',
        'CN=Alice',
        {
          sans: [
            { type: 'email', value: 'alice@corp.example' },
            { type: 'upn', value: 'alice@corp.example' },
          ],
        },
        'Digital Signature, Key Encipherment',
        'Microsoft Encrypted File System, E-mail Protection, TLS Web Client Authentication',
        365,
      ],
      ['EnrollmentAgentOffline', 'CN=NDES-RA-Sign', {}, 'Digital Signature', '1.3.6.1.4.1.311.20.2.1', 730],
      ['CEPEncryption', 'CN=NDES-RA-Encrypt', {}, 'Key Encipherment', '1.3.6.1.4.1.311.20.2.1', 730],
      [
        'IPSECIntermediateOffline',
        'CN=device-42',
        { sans: [{ type: 'dns', value: 'device-42.mdm.example' }] },
        'Digital Signature, Key Encipherment',
        '1.3.6.1.5.5.8.2.2',
        730,
      ],
    ] as const)('%s', async (template, subject, csrOptions, keyUsage, eku, days) => {
      const res = await sut.submit({
        caName: CA,
        attributes: attrs(template),
        csrDer: await csr(subject, csrOptions),
        requester: 'CORP\\alice',
      });
      expect(res).toMatchObject({
        disposition: Disposition.ISSUED,
        message: 'Issued',
      });
      expect(res.hresult).toBeUndefined();
      const pem = certificatePem(res.certificate!);
      const ext = opensslOk(['x509', '-noout', '-ext', 'keyUsage,extendedKeyUsage,basicConstraints'], pem);
      expect(ext).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${keyUsage}\\s*\\n`));
      expect(ext).toMatch(new RegExp(`X509v3 Extended Key Usage:\\s*\\n\\s+${eku.replace(/\./g, '\\.')}\\s*\\n`));
      expect(ext).toMatch(/CA:FALSE/);
      expect(opensslValidityDays(pem)).toBe(days);
      expect(verify(join(tmp.path, 'main'), res.certificate!)).toMatch(/: OK$/);
      // pctbCert: certs-only PKCS#7, leaf then the CA, as openssl lists it
      const printed = opensslOk(['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], res.pkcs7!);
      expect(printed.match(/subject=.*/g)).toEqual([`subject=${subject.replace('=', ' = ')}`, `subject=CN = ${CA}`]);
      expect(readPkcs7Chain(res.pkcs7!).leaf.der).toEqual(res.certificate);
      // the Microsoft template-name extension (1.3.6.1.4.1.311.20.2) carries the name as a BMPString
      expect(parseCertificate(res.certificate!).extensionOids).toContain(Oid.msCertificateTemplateName);
      expect(Buffer.from(res.certificate!).includes(Buffer.from(template, 'utf16le').swap16())).toBe(true);
    });
  });

  describe('denials (disposition = HRESULT on submit, 2 on retrieval)', () => {
    const tampered = async (): Promise<Uint8Array> => {
      const der = Uint8Array.from(await csr('CN=honest.example.com'));
      der[Buffer.from(der).indexOf('honest')] = 0x48;
      return der;
    };
    const rsa1024 = (): Uint8Array => {
      const key = tmp.file(`rsa1024-${++n}.pem`, opensslOk(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']));
      return new Uint8Array(
        Buffer.from(opensslOk(['req', '-new', '-key', key, '-subj', '/CN=small.example.com', '-outform', 'PEM']).replace(/-----[^-]+-----|\s/g, ''), 'base64'),
      );
    };
    it.each([
      ['no CertificateTemplate attribute', '', () => csr('CN=x'), HResult.CERTSRV_E_NO_CERT_TYPE, 0x80094801],
      ['only unrelated attributes', 'ccm:host.example.com\nrmd:ws01', () => csr('CN=x'), HResult.CERTSRV_E_NO_CERT_TYPE, 0x80094801],
      ['an unknown template', attrs('NoSuchTemplate'), () => csr('CN=x'), HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE, 0x80094800],
      ['a template display name instead of its name', attrs('Web Server'), () => csr('CN=x'), HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE, 0x80094800],
      ['garbage instead of a CSR', attrs('WebServer'), async () => Uint8Array.of(1, 2, 3, 4), HResult.ERROR_INVALID_DATA, 0x8007000d],
      ['a tampered CSR', attrs('WebServer'), tampered, HResult.NTE_BAD_SIGNATURE, 0x80090006],
      ['an RSA-1024 key on WebServer', attrs('WebServer'), async () => rsa1024(), HResult.CERTSRV_E_KEY_LENGTH, 0x80094811],
      ['no DNS SAN on WebServerModified', attrs('WebServerModified'), () => csr('CN=acme.example.com'), HResult.CERTSRV_E_SUBJECT_DNS_REQUIRED, 0x8009480f],
      [
        'no e-mail on User',
        attrs('User'),
        () => csr('CN=Bob', { sans: [{ type: 'upn', value: 'bob@corp' }] }),
        HResult.CERTSRV_E_SUBJECT_EMAIL_REQUIRED,
        0x80094812,
      ],
      [
        'no CN on Machine',
        attrs('Machine'),
        () => csr('O=NoCommonName', { sans: [{ type: 'dns', value: 'a.corp' }] }),
        HResult.CERTSRV_E_BAD_REQUESTSUBJECT,
        0x80094001,
      ],
      [
        'an IP SAN on Machine',
        attrs('Machine'),
        () =>
          csr('CN=h', {
            sans: [
              { type: 'dns', value: 'h.corp' },
              { type: 'ip', value: '10.0.0.1' },
            ],
          }),
        HResult.CERT_E_INVALID_NAME,
        0x800b0114,
      ],
      ['an EC key on CEPEncryption (RSA only)', attrs('CEPEncryption'), () => csr('CN=ra', { key: 'p256' }), HResult.NTE_BAD_ALGID, 0x80090008],
    ])('%s', async (_name, attributes, makeCsr, expected, literal) => {
      expect(expected).toBe(literal);
      const res = await sut.submit({
        caName: CA,
        attributes,
        csrDer: await makeCsr(),
        requester: 'CORP\\bob',
      });
      expect(res.disposition).toBe(expected);
      expect(res.hresult).toBe(expected);
      expect(res.requestId).toBeGreaterThan(0);
      expect(res.certificate).toBeUndefined();
      expect(res.message).toMatch(/^(Denied by Policy Module|Error Parsing Request) {2}0x[0-9A-F]{8}, /);
      const again = await sut.retrieve(CA, res.requestId);
      expect(again).toMatchObject({
        requestId: res.requestId,
        disposition: Disposition.DENIED,
        hresult: expected,
      });
    });

    it('answers an unknown CA name with E_INVALIDARG and no request id', async () => {
      const res = await sut.submit({
        caName: 'other-CA',
        attributes: attrs('WebServer'),
        csrDer: await csr('CN=x'),
        requester: 'u',
      });
      expect(res).toMatchObject({
        requestId: 0,
        disposition: 0x80070057,
        hresult: 0x80070057,
      });
      expect(await sut.retrieve('other-CA', 1)).toMatchObject({
        disposition: 0x80070057,
      });
    });

    it('matches the CA name and template name case-insensitively', async () => {
      const res = await sut.submit({
        caName: CA.toUpperCase(),
        attributes: 'certificatetemplate: webserver ',
        csrDer: await csr('CN=ci'),
        requester: 'u',
      });
      expect(res.disposition).toBe(Disposition.ISSUED);
    });
  });

  describe('retrieval (§2.6)', () => {
    it('pending → approve → issued', async () => {
      const res = await sut.submit({
        caName: CA,
        attributes: attrs('ManagerApproval'),
        csrDer: await csr('CN=pending.example.com', {
          sans: [{ type: 'dns', value: 'pending.example.com' }],
        }),
        requester: 'u',
      });
      expect(res).toEqual({
        requestId: res.requestId,
        disposition: Disposition.UNDER_SUBMISSION,
        message: 'Taken Under Submission',
      });
      expect(await sut.retrieve(CA, res.requestId)).toMatchObject({
        disposition: Disposition.UNDER_SUBMISSION,
      });
      expect(sut.list('pending').map((r) => r.requestId)).toContain(res.requestId);
      const approved = await sut.approve(res.requestId);
      expect(approved.disposition).toBe(Disposition.ISSUED);
      const got = await sut.retrieve(CA, res.requestId);
      expect(got).toMatchObject({
        requestId: res.requestId,
        disposition: Disposition.ISSUED,
        message: 'Issued',
      });
      expect(got.certificate).toEqual(approved.certificate);
      expect(verify(join(tmp.path, 'main'), got.certificate!)).toMatch(/: OK$/);
      expect(opensslOk(['x509', '-noout', '-ext', 'subjectAltName'], certificatePem(got.certificate!))).toContain('DNS:pending.example.com');
      await expect(sut.approve(res.requestId)).rejects.toMatchObject({
        code: 'NOT_PENDING',
      });
    });

    it('pending → deny → disposition 2 with CERTSRV_E_ADMIN_DENIED_REQUEST', async () => {
      const res = await sut.submit({
        caName: CA,
        attributes: attrs('ManagerApproval'),
        csrDer: await csr('CN=nope'),
        requester: 'u',
      });
      await sut.deny(res.requestId);
      expect(await sut.retrieve(CA, res.requestId)).toMatchObject({
        disposition: Disposition.DENIED,
        hresult: HResult.CERTSRV_E_ADMIN_DENIED_REQUEST,
      });
      await expect(sut.deny(res.requestId)).rejects.toBeInstanceOf(SimCaError);
      expect(sut.list('denied').find((r) => r.requestId === res.requestId)).toMatchObject({
        status: 'denied',
        template: 'ManagerApproval',
        subject: 'CN=nope',
      });
    });

    it.each([
      ['an unknown id', 999_999, HResult.CERTSRV_E_PROPERTY_EMPTY],
      ['id 0', 0, HResult.E_INVALIDARG],
    ])('answers %s with its HRESULT', async (_name, id, hresult) => {
      expect(await sut.retrieve(CA, id)).toMatchObject({
        requestId: id,
        disposition: hresult,
        hresult,
      });
    });

    it('refuses to approve an unknown request', async () => {
      await expect(sut.approve(424242)).rejects.toMatchObject({
        code: 'UNKNOWN_REQUEST',
      });
    });
  });

  describe('requested validity (ValidityPeriod / ValidityPeriodUnits)', () => {
    it.each([
      ['honoured where the template allows it', 'WebServerModified', '\nValidityPeriod:Days\nValidityPeriodUnits:30', 30],
      ['capped at the template maximum', 'WebServerModified', '\nValidityPeriod:Years\nValidityPeriodUnits:5', 397],
      ['in weeks', 'WebServerModified', '\nValidityPeriod:Weeks\nValidityPeriodUnits:2', 14],
      ['ignored where the template does not allow it', 'WebServer', '\nValidityPeriod:Days\nValidityPeriodUnits:30', 730],
    ])('%s', async (_name, template, extra, days) => {
      const res = await sut.submit({
        caName: CA,
        attributes: attrs(template, extra),
        csrDer: await csr('CN=v.example.com', {
          sans: [{ type: 'dns', value: 'v.example.com' }],
        }),
        requester: 'u',
      });
      expect(res.disposition).toBe(Disposition.ISSUED);
      expect(opensslValidityDays(certificatePem(res.certificate!))).toBe(days);
    });

    it('takes Intune-style name/value pairs from inside the CSR', async () => {
      const der = await csr('CN=intune-device', {
        nameValuePairs: [
          { name: 'ValidityPeriod', value: 'Days' },
          { name: 'ValidityPeriodUnits', value: '45' },
        ],
      });
      const res = await sut.submit({
        caName: CA,
        attributes: attrs('IPSECIntermediateOffline'),
        csrDer: der,
        requester: 'NDES',
      });
      expect(opensslValidityDays(certificatePem(res.certificate!))).toBe(45);
    });

    it('denies a malformed period with E_INVALIDARG', async () => {
      const res = await sut.submit({
        caName: CA,
        attributes: attrs('WebServerModified', '\nValidityPeriod:Fortnights\nValidityPeriodUnits:2'),
        csrDer: await csr('CN=v', {
          sans: [{ type: 'dns', value: 'v.example.com' }],
        }),
        requester: 'u',
      });
      expect(res.disposition).toBe(HResult.E_INVALIDARG);
    });
  });

  describe('SAN request attribute', () => {
    it('is ignored unless EDITF_ATTRIBUTESUBJECTALTNAME2 is set', async () => {
      const der = await csr('CN=web', {
        sans: [{ type: 'dns', value: 'web.example.com' }],
      });
      const plain = await sut.submit({
        caName: CA,
        attributes: attrs('WebServer', '\nSAN:dns=extra.example.com'),
        csrDer: der,
        requester: 'u',
      });
      expect(opensslOk(['x509', '-noout', '-ext', 'subjectAltName'], certificatePem(plain.certificate!))).not.toContain('extra.example.com');
      const dir = stateDir();
      const esc6 = await SimCaEngine.open({
        stateDir: dir,
        caName: CA,
        caKey: 'p256',
        attributeSubjectAltName2: true,
      });
      const res = await esc6.submit({
        caName: CA,
        attributes: attrs('WebServer', '\nSAN:dns=extra.example.com&ipaddress=10.1.1.1'),
        csrDer: der,
        requester: 'u',
      });
      expect(opensslOk(['x509', '-noout', '-ext', 'subjectAltName'], certificatePem(res.certificate!))).toContain(
        'DNS:web.example.com, DNS:extra.example.com, IP Address:10.1.1.1',
      );
    });
  });

  describe('state directory', () => {
    it('keeps the CA, pending requests and the id counter across a restart', async () => {
      const dir = stateDir();
      const first = await SimCaEngine.open({
        stateDir: dir,
        caName: 'restart-CA',
        caKey: 'p256',
      });
      const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
      const pending = await first.submit({
        caName: 'restart-CA',
        attributes: attrs('ManagerApproval'),
        csrDer: await csr('CN=survivor'),
        requester: 'u',
      });
      const issued = await first.submit({
        caName: 'restart-CA',
        attributes: attrs('WebServer'),
        csrDer: await csr('CN=issued'),
        requester: 'u',
      });
      expect(pending.requestId).toBeGreaterThanOrEqual(1000);
      expect(pending.requestId).toBeLessThan(9000);
      expect(issued.requestId).toBe(pending.requestId + 1);
      await first.close();

      const second = await SimCaEngine.open({ stateDir: dir });
      expect(second.caName).toBe('restart-CA');
      expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(caPem);
      expect(await second.retrieve('restart-CA', pending.requestId)).toMatchObject({ disposition: Disposition.UNDER_SUBMISSION });
      expect((await second.retrieve('restart-CA', issued.requestId)).certificate).toEqual(issued.certificate);
      const approved = await second.approve(pending.requestId);
      expect(verify(dir, approved.certificate!)).toMatch(/: OK$/);
      const next = await second.submit({
        caName: 'restart-CA',
        attributes: attrs('WebServer'),
        csrDer: await csr('CN=next'),
        requester: 'u',
      });
      expect(next.requestId).toBe(issued.requestId + 1);
      await second.close();

      const third = await SimCaEngine.open({ stateDir: dir });
      expect(await third.retrieve('restart-CA', pending.requestId)).toMatchObject({ disposition: Disposition.ISSUED });
      await expect(SimCaEngine.open({ stateDir: dir, caName: 'another-CA' })).rejects.toMatchObject({ code: 'STATE' });
    });

    it('ignores a torn final journal line after a crash', async () => {
      const dir = stateDir();
      const first = await SimCaEngine.open({ stateDir: dir, caKey: 'p256' });
      const res = await first.submit({
        caName: first.caName,
        attributes: attrs('ManagerApproval'),
        csrDer: await csr('CN=t'),
        requester: 'u',
      });
      await first.close();
      const { appendFileSync } = await import('node:fs');
      appendFileSync(join(dir, 'requests.journal'), '{"nextRequestId":12,"rec');
      const second = await SimCaEngine.open({ stateDir: dir });
      expect(await second.retrieve(second.caName, res.requestId)).toMatchObject({ disposition: Disposition.UNDER_SUBMISSION });
    });

    it('gives concurrent submissions distinct, consecutive ids', async () => {
      const der = await csr('CN=burst', { key: 'p256' });
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          sut.submit({
            caName: CA,
            attributes: attrs('WebServer'),
            csrDer: der,
            requester: 'u',
          }),
        ),
      );
      const ids = results.map((r) => r.requestId).sort((a, b) => a - b);
      expect(new Set(ids).size).toBe(8);
      expect(ids.at(-1)! - ids[0]!).toBe(7);
    });

    it('creates a root plus an issuing P-256 intermediate (--ca-key p256 --intermediate)', async () => {
      const dir = stateDir();
      const engine = await SimCaEngine.open({
        stateDir: dir,
        caName: 'issuing-CA',
        caKey: 'p256',
        intermediate: true,
      });
      const root = opensslOk(['x509', '-noout', '-subject', '-text'], readFileSync(join(dir, 'ca.pem')));
      expect(root).toContain('subject=CN = issuing-CA Root');
      expect(root).toContain('NIST CURVE: P-256');
      expect(readFileSync(join(dir, 'chain.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
      const res = await engine.submit({
        caName: 'issuing-CA',
        attributes: attrs('WebServer'),
        csrDer: await csr('CN=deep'),
        requester: 'u',
      });
      expect(verify(dir, res.certificate!)).toMatch(/: OK$/);
      expect(readPkcs7Chain(res.pkcs7!).chain.map((c) => c.subject)).toEqual(['CN=deep', 'CN=issuing-CA', 'CN=issuing-CA Root']);
      expect(opensslOk(['x509', '-noout', '-issuer'], certificatePem(res.certificate!))).toContain('issuer=CN = issuing-CA\n');
    });
  });

  describe('template overrides', () => {
    it('applies a YAML file: new template, changed built-in, unpublished built-in', async () => {
      const file = tmp.file(
        'templates.yaml',
        [
          'templates:',
          '  ShortLived:',
          '    validityDays: 7',
          '    keyUsages: [digitalSignature]',
          '    extendedKeyUsages: ["1.3.6.1.5.5.7.3.2"]',
          '    minRsaBits: 3072',
          '    allowedCurves: [P-256]',
          '    requireCommonName: true',
          '    allowedSanTypes: [dns]',
          '    requireDnsSan: false',
          '    requireEmailSan: false',
          '    allowedDnsSuffixes: [".corp.example"]',
          '    requiresApproval: false',
          '    allowRequestedValidity: false',
          '  WebServer:',
          '    validityDays: 30',
          '  Machine: false',
          '',
        ].join('\n'),
      );
      const engine = await SimCaEngine.open({
        stateDir: stateDir(),
        caName: CA,
        caKey: 'p256',
        templatesFile: file,
      });
      const submit = async (template: string, der: Uint8Array): Promise<number> =>
        (
          await engine.submit({
            caName: CA,
            attributes: attrs(template),
            csrDer: der,
            requester: 'u',
          })
        ).disposition;
      const short = await engine.submit({
        caName: CA,
        attributes: attrs('ShortLived'),
        csrDer: await csr('CN=svc', {
          key: 'p256',
          sans: [{ type: 'dns', value: 'svc.corp.example' }],
        }),
        requester: 'u',
      });
      expect(opensslValidityDays(certificatePem(short.certificate!))).toBe(7);
      expect(
        await submit(
          'ShortLived',
          await csr('CN=svc', {
            key: 'p256',
            sans: [{ type: 'dns', value: 'svc.evil.example' }],
          }),
        ),
      ).toBe(HResult.CERT_E_INVALID_NAME);
      expect(await submit('ShortLived', await csr('CN=svc'))).toBe(HResult.CERTSRV_E_KEY_LENGTH);
      const web = await engine.submit({
        caName: CA,
        attributes: attrs('WebServer'),
        csrDer: await csr('CN=w'),
        requester: 'u',
      });
      expect(opensslValidityDays(certificatePem(web.certificate!))).toBe(30);
      expect(await submit('Machine', await csr('CN=m', { sans: [{ type: 'dns', value: 'm.corp' }] }))).toBe(HResult.CERTSRV_E_UNSUPPORTED_CERT_TYPE);
    });

    it('reports every bad field of a JSON file', async () => {
      const file = tmp.file(
        'bad.json',
        JSON.stringify({
          templates: {
            WebServer: { validityDays: -1, keyUsages: ['signEverything'] },
            Partial: { validityDays: 5 },
          },
        }),
      );
      await expect(TemplateCatalog.fromFile(file)).rejects.toThrow(
        /templates\.WebServer\.validityDays: .*\n.*templates\.WebServer\.keyUsages\.0: .*\n[\s\S]*templates\.Partial\.keyUsages: /,
      );
      await expect(
        SimCaEngine.open({
          stateDir: stateDir(),
          caKey: 'p256',
          templatesFile: file,
        }),
      ).rejects.toMatchObject({ name: 'TemplateConfigError' });
    });
  });

  it('writes ca.pem (the root) and chain.pem (issuing CA → root) for the ICPR layer and clients', () => {
    expect(readFileSync(join(tmp.path, 'main', 'chain.pem'), 'utf8')).toBe(encodePemBlocks('CERTIFICATE', sut.chain));
    expect(readFileSync(join(tmp.path, 'main', 'ca.pem'), 'utf8')).toBe(encodePem('CERTIFICATE', sut.ca.root.der));
    expect(opensslOk(['x509', '-noout', '-subject'], readFileSync(join(tmp.path, 'main', 'ca.pem')))).toBe(`subject=CN = ${CA}\n`);
  });
});
