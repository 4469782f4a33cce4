/**
 * scep-api in process on real Redis and real SQLite/PostgreSQL, with a stand-in CA worker on the
 * real queues: the RA enrolled through the queue, every HTTP quirk of research/scep-windows.md §1,
 * the Windows-shaped PKCSReq, idempotent retries with one-time challenges, FAILURE mapping,
 * PENDING → CertPoll, GetCRL and GetCert.
 */
import { join } from 'node:path';
import { Eku, parseCertificate, readPkcs7Certificates, scep, verifyIssuedBy } from '@enrollgate/pki';
import { withDatabases } from '../../../test/support/databases.js';
import { startInProcessScep, type InProcessScep } from './support/in-process.js';
import { TestScepClient } from './support/scep-client.js';

const databases = await withDatabases();

describe.each(databases)('scep-api on $name', ({ open }) => {
  let api: InProcessScep;

  beforeAll(async () => {
    api = await startInProcessScep({
      open,
      dirPrefix: 'eg-scep-',
      files: { 'profiles.yaml': 'profiles:\n  approval:\n    template: ManagerApproval\n  lab:\n    requireChallenge: false\n' },
      admin: { user: 'fleet', password: 'fleet-pw' },
      env: (dir) => ({
        SCEP_CHALLENGE_PASSWORD: 'static-secret',
        SCEP_PROFILES_FILE: join(dir, 'profiles.yaml'),
        SCEP_WAIT_SECONDS: '10',
      }),
    });
  });
  afterAll(() => api?.close());

  describe('GetCACert', () => {
    it('is RA signing, RA encryption (enrolled through the queue with the NDES templates), then the CA', () => {
      expect(api.ca.contentType).toBe('application/x-x509-ca-ra-cert');
      const [sign, enc, root] = api.ca.all;
      expect(sign!.keyUsages).toEqual(['digitalSignature']);
      expect(sign!.extendedKeyUsages).toEqual([Eku.certificateRequestAgent]);
      expect(enc!.keyUsages).toEqual(['keyEncipherment']);
      expect(root!.sha1Thumbprint).toBe(api.worker.ca.certificate.sha1Thumbprint);
      expect(
        api.worker.jobs
          .filter((j) => j.requestKey.startsWith('ra-'))
          .map((j) => j.template)
          .sort(),
      ).toEqual(['CEPEncryption', 'EnrollmentAgentOffline']);
    });

    it('the CAThumbprint endpoint gives the root SHA-1', async () => {
      const body = (await (await fetch(`${api.base}/api/scep/ca-thumbprint`)).json()) as { caThumbprint: string };
      expect(body.caThumbprint).toBe(api.worker.ca.certificate.sha1Thumbprint);
    });
  });

  describe('paths and GetCACaps', () => {
    it.each([
      ['Windows appends /pkiclient.exe', '/certsrv/mscep/mscep.dll/pkiclient.exe'],
      ['NDES base path', '/certsrv/mscep/mscep.dll'],
      ['case-insensitive (IIS users write /CertSrv)', '/CertSrv/MSCEP/MSCEP.DLL/PKICLIENT.EXE'],
      ['generic /scep', '/scep'],
      ['/scep/pkiclient.exe', '/scep/pkiclient.exe'],
      ['Cisco /cgi-bin/pkiclient.exe', '/cgi-bin/pkiclient.exe'],
      ['per-profile path', '/scep/approval/pkiclient.exe'],
      ['trailing slash', '/scep/'],
    ])('%s: GetCACaps with message=default answers text/plain', async (_name, path) => {
      const r = await fetch(`${api.base}${path}?operation=GetCACaps&message=default`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain');
      expect((await r.text()).split('\n')).toEqual(['POSTPKIOperation', 'SHA-1', 'SHA-256', 'SHA-512', 'AES', 'DES3', 'SCEPStandard', 'Renewal']);
    });

    it('GetNextCACert without a next CA (NDES: none): not advertised above, a clear 404 rather than a 500', async () => {
      const r = await fetch(`${api.base}/certsrv/mscep/mscep.dll/pkiclient.exe?operation=GetNextCACert&message=default`);
      expect(r.status).toBe(404);
      expect(await r.text()).toContain('no next CA certificate');
    });

    it('operation name matched case-insensitively', async () => {
      expect((await fetch(`${api.base}/scep?OPERATION=getcacaps`)).status).toBe(200);
    });

    it.each([['/scep/nosuchprofile/pkiclient.exe'], ['/other'], ['/certsrv/mscep/other.dll']])('%s is 404', async (path) => {
      expect((await fetch(`${api.base}${path}?operation=GetCACaps`)).status).toBe(404);
    });

    it('no operation is a 4xx (clients ignore it; NDES shows an info page)', async () => {
      expect((await fetch(`${api.base}/certsrv/mscep/mscep.dll`)).status).toBe(400);
    });

    it('/certsrv/mscep_admin redirects to the slash form, as IIS does', async () => {
      const r = await fetch(`${api.base}/certsrv/mscep_admin`, { redirect: 'manual' });
      expect(r.status).toBe(301);
      expect(r.headers.get('location')).toBe('/certsrv/mscep_admin/');
    });
  });

  describe('PKIOperation (Windows-shaped PKCSReq)', () => {
    it('SUCCESS with the certificate first, then the chain; a retry of the same transaction is answered the same way', async () => {
      const sut = api.client();
      const challenge = await api.mintChallenge();
      const csr = await sut.csr({ subject: 'CN=markotestmdm', challenge });
      const first = await sut.pkcsReq(api.ca, csr);
      expect(first.status).toBe('SUCCESS');
      const cert = parseCertificate(first.certificates[0]!);
      expect(cert.subject).toBe('CN=markotestmdm');
      expect(() => verifyIssuedBy(cert, api.worker.ca.certificate)).not.toThrow();
      expect(first.certificates.slice(1).map((c) => parseCertificate(c).sha1Thumbprint)).toEqual([api.worker.ca.certificate.sha1Thumbprint]);
      // echoed and fresh attributes
      expect(first.message.transactionId).toBe(sut.transactionId);
      expect(first.message.senderNonce).toHaveLength(16);
      const retry = await sut.pkcsReq(api.ca, csr);
      expect(retry.status).toBe('SUCCESS');
      expect(Buffer.from(retry.certificates[0]!).equals(Buffer.from(first.certificates[0]!))).toBe(true);
      expect(api.worker.jobs.filter((j) => j.requestKey.endsWith(sut.transactionId))).toHaveLength(1);
    });

    it('a one-time challenge used by one request fails a second, different request with badRequest', async () => {
      const challenge = await api.mintChallenge();
      const a = api.client();
      expect((await a.pkcsReq(api.ca, await a.csr({ subject: 'CN=first', challenge }))).status).toBe('SUCCESS');
      const b = api.client();
      const second = await b.pkcsReq(api.ca, await b.csr({ subject: 'CN=second', challenge }));
      expect(second.status).toBe('FAILURE');
      expect(second.failInfo).toBe(scep.FailInfo.badRequest);
      expect(second.failInfoText).toContain('already used');
    });

    it('a challenge bound to a subject refuses another subject', async () => {
      const challenge = await api.mintChallenge({ subject: 'CN=bound-device' });
      const c = api.client();
      const r = await c.pkcsReq(api.ca, await c.csr({ subject: 'CN=other-device', challenge }));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
    });

    it('wrong challenge → FAILURE badRequest (HTTP 200)', async () => {
      const c = api.client();
      const r = await c.pkcsReq(api.ca, await c.csr({ subject: 'CN=x', challenge: 'wrong' }));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
    });

    it('a CA denial → FAILURE badRequest with the CA message', async () => {
      const c = api.client();
      const r = await c.pkcsReq(api.ca, await c.csr({ subject: 'CN=please-deny-me', challenge: 'static-secret' }));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
      expect(r.failInfoText).toContain('Denied by Policy Module');
    });

    it('a bad signature → CertRep FAILURE badMessageCheck; garbage → HTTP 400', async () => {
      const c = api.client();
      const der = c.message(scep.MessageType.PKCSReq, await c.csr({ subject: 'CN=x', challenge: 'static-secret' }), api.ca.encryption);
      der[der.length - 5]! ^= 0x55; // inside the SignerInfo signature
      const r = await c.post(der);
      expect(r.status).toBe(200);
      const rep = c.read(new Uint8Array(await r.arrayBuffer()));
      expect([rep.status, rep.failInfo]).toEqual(['FAILURE', scep.FailInfo.badMessageCheck]);
      expect((await c.post(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).status).toBe(400);
    });

    it.each([
      ['3DES + PKCS#1 v1.5 + SHA-256 (strongSwan, certmonger-like)', { cipher: 'des-ede3-cbc', keyTransport: { kind: 'rsaEncryption' }, digest: 'sha256' }],
      [
        'AES-256 + SHA-512 + sha512WithRSA signer info',
        { cipher: 'aes-256-cbc', keyTransport: { kind: 'rsaEncryption' }, digest: 'sha512', signatureAlgorithm: 'hashWithRsa' },
      ],
    ] as const)('%s: SUCCESS', async (_n, options) => {
      const c = api.client('/scep', options);
      const r = await c.pkcsReq(api.ca, await c.csr({ subject: 'CN=variant', challenge: 'static-secret' }));
      expect(r.status).toBe('SUCCESS');
    });
  });

  describe('HTTP encodings of PKIOperation', () => {
    const send = async (c: TestScepClient, init: (der: Uint8Array) => Promise<Response>) => {
      const der = c.message(scep.MessageType.PKCSReq, await c.csr({ subject: 'CN=encoding', challenge: 'static-secret' }), api.ca.encryption);
      const r = await init(der);
      expect(r.status).toBe(200);
      return c.read(new Uint8Array(await r.arrayBuffer()));
    };
    const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

    it.each([
      ['standard: percent-encoded base64 (certmonger)', (d: Uint8Array) => encodeURIComponent(b64(d))],
      ['literal + and / left unencoded (macOS, jScep)', (d: Uint8Array) => b64(d).replace(/=/g, '%3D')],
      [
        'Cisco IOS line breaks (%0A every 64 characters)',
        (d: Uint8Array) =>
          b64(d)
            .match(/.{1,64}/g)!
            .map(encodeURIComponent)
            .join('%0A'),
      ],
      ['URL-safe alphabet without padding (old micromdm/Fleet Go clients)', (d: Uint8Array) => Buffer.from(d).toString('base64url')],
    ])('GET %s', async (_n, encode) => {
      const c = api.client();
      const rep = await send(c, (der) => fetch(`${c.url}?operation=PKIOperation&message=${encode(der)}`));
      expect(rep.status).toBe('SUCCESS');
    });

    it('GET request lines up to 64 KB are read (Windows sends 10–14 KB)', async () => {
      const c = api.client();
      const pad = 'A'.repeat(50_000);
      const rep = await send(c, (der) => fetch(`${c.url}?operation=PKIOperation&pad=${pad}&message=${encodeURIComponent(b64(der))}`));
      expect(rep.status).toBe('SUCCESS');
    });

    it.each([[null], ['application/octet-stream'], ['application/x-pki-message'], ['text/plain'], ['application/json']])(
      'POST with Content-Type %s (strongSwan sends none)',
      async (type) => {
        const c = api.client();
        const rep = await send(c, (der) => c.post(der, type));
        expect(rep.status).toBe('SUCCESS');
      },
    );

    it('POST bodies above the cap are refused', async () => {
      const r = await fetch(`${api.base}/scep?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(3 * 1024 * 1024) });
      expect(r.status).toBe(413);
    });
  });

  describe('PENDING, CertPoll, GetCert, GetCRL', () => {
    it('ManagerApproval profile: PENDING, then CertPoll gives SUCCESS after approval', async () => {
      const c = api.client('/scep/approval/pkiclient.exe');
      const csr = await c.csr({ subject: 'CN=approve-me', challenge: 'static-secret' });
      const first = await c.pkcsReq(api.ca, csr);
      expect(first.status).toBe('PENDING');
      const subject = scep.parsePkiMessage(c.message(scep.MessageType.PKCSReq, csr, api.ca.encryption)).signerCertificate.subject;
      expect((await c.certPoll(api.ca, subject)).status).toBe('PENDING');
      const key = [...api.worker.pending.keys()].find((k) => k.endsWith(c.transactionId))!;
      await api.worker.approve(key);
      let polled = await c.certPoll(api.ca, subject);
      for (let i = 0; i < 20 && polled.status === 'PENDING'; i++) polled = await c.certPoll(api.ca, subject);
      expect(polled.status).toBe('SUCCESS');
      expect(parseCertificate(polled.certificates[0]!).subject).toBe('CN=approve-me');
    });

    it('CertPoll for an unknown transaction → FAILURE badCertId', async () => {
      const c = api.client();
      const r = await c.certPoll(api.ca, scep.commonNameDer('nobody'));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badCertId]);
    });

    it('GetCert returns a certificate issued here, by issuer and serial', async () => {
      const c = api.client('/scep/lab');
      const issued = await c.pkcsReq(api.ca, await c.csr({ subject: 'CN=getcert' }));
      const cert = parseCertificate(issued.certificates[0]!);
      const r = await c.send(
        c.message(
          scep.MessageType.GetCert,
          scep.encodeIssuerAndSerial({ issuer: cert.issuerDer, serial: Buffer.from(cert.serialNumber, 'hex') }),
          api.ca.encryption,
          'getcert-1',
        ),
      );
      expect(r.status).toBe('SUCCESS');
      expect(Buffer.from(r.certificates[0]!).equals(Buffer.from(cert.der))).toBe(true);
    });

    it('GetCRL without a configured CRL is a clear FAILURE', async () => {
      const c = api.client();
      const r = await c.send(
        c.message(
          scep.MessageType.GetCRL,
          scep.encodeIssuerAndSerial({ issuer: api.worker.ca.certificate.subjectDer, serial: Uint8Array.of(1) }),
          api.ca.encryption,
          'getcrl-1',
        ),
      );
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
      expect(r.failInfoText).toContain('no CRL is configured');
    });
  });

  describe('RenewalReq', () => {
    it('signed with a certificate we issued: SUCCESS without a challenge; self-signed: badMessageCheck', async () => {
      const c = api.client('/scep');
      const issued = await c.pkcsReq(api.ca, await c.csr({ subject: 'CN=renew-me', challenge: 'static-secret' }));
      const renewer = new TestScepClient(`${api.base}/scep`, {});
      const csr = await renewer.csr({ subject: 'CN=renew-me' });
      const der = scep.buildPkiRequest({
        messageType: scep.MessageType.RenewalReq,
        transactionId: 'renewal-1',
        content: csr,
        recipient: api.ca.encryption.der,
        cipher: 'aes-128-cbc',
        digest: 'sha256',
        signerCertificate: issued.certificates[0]!,
        signerKey: c.key,
      });
      const r = scep.readCertRep(new Uint8Array(await (await renewer.post(der)).arrayBuffer()), { certificate: issued.certificates[0]!, key: c.key });
      expect(r.status).toBe('SUCCESS');
      const self = await renewer.send(renewer.message(scep.MessageType.RenewalReq, csr, api.ca.encryption, 'renewal-2'));
      expect([self.status, self.failInfo]).toEqual(['FAILURE', scep.FailInfo.badMessageCheck]);
    });
  });

  it('the results consumer persisted SCEP enrollments in the database', async () => {
    const counts = await api.runtime.enrollments.countByStatus();
    expect(counts.issued).toBeGreaterThan(5);
    expect(readPkcs7Certificates).toBeDefined();
  });
});
