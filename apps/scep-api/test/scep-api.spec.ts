/**
 * scep-api in process on real Redis and real SQLite/PostgreSQL, with a stand-in CA worker on the
 * real queues: the RA enrolled through the queue, every HTTP quirk of research/scep-windows.md §1,
 * the Windows-shaped PKCSReq, idempotent retries with one-time challenges, FAILURE mapping,
 * PENDING → CertPoll, GetCRL and GetCert.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootFrontend, type FrontendRuntime } from '@enrollgate/enrollment';
import { boundPort } from '@enrollgate/platform';
import { Eku, parseCertificate, readPkcs7Certificates, scep, verifyIssuedBy } from '@enrollgate/pki';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { withDatabases } from '../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { loadScepConfig } from '../src/config.js';
import { RaService } from '../src/ra/ra.service.js';
import { ScepModule, configureScep } from '../src/scep.module.js';
import { FakeCaWorker } from './support/fake-ca-worker.js';
import { TestScepClient, type CaCerts } from './support/scep-client.js';

const databases = await withDatabases();

describe.each(databases)('scep-api on $name', ({ open }) => {
  let dir: string;
  let cleanupDb: () => Promise<void>;
  let redis: TestRedis;
  let worker: FakeCaWorker;
  let app: NestFastifyApplication;
  let runtime: FrontendRuntime;
  let base: string;
  let ca: CaCerts;
  const admin = 'Basic ' + Buffer.from('fleet:fleet-pw').toString('base64');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-scep-'));
    const db = await open();
    cleanupDb = db.cleanup;
    const handle = openDatabase(db.url);
    await migrateToLatest(handle);
    await handle.close();
    redis = await openTestRedis();
    worker = await FakeCaWorker.start(redis.url, redis.prefix);
    await writeFile(join(dir, 'profiles.yaml'), 'profiles:\n  approval:\n    template: ManagerApproval\n  lab:\n    requireChallenge: false\n');
    const config = loadScepConfig({
      SCEP_LISTEN: '127.0.0.1:0',
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      QUEUE_PREFIX: redis.prefix,
      LOG_LEVEL: 'error',
      SCEP_RA_DIR: join(dir, 'ra'),
      SCEP_CHALLENGE_PASSWORD: 'static-secret',
      SCEP_ADMIN_USER: 'fleet',
      SCEP_ADMIN_PASSWORD: 'fleet-pw',
      SCEP_PROFILES_FILE: join(dir, 'profiles.yaml'),
      SCEP_WAIT_SECONDS: '10',
    });
    ({ app, runtime } = await bootFrontend({
      app: 'scep-api',
      protocol: 'scep',
      config,
      listen: config.SCEP_LISTEN,
      imports: [ScepModule.forRoot(config)],
      configure: (a) => configureScep(a, config),
    }));
    await app.get(RaService).whenReady(30_000);
    base = `http://127.0.0.1:${boundPort(app)}`;
    ca = await new TestScepClient(`${base}/certsrv/mscep/mscep.dll/pkiclient.exe`).getCaCert();
  });
  afterAll(async () => {
    await app?.close();
    await worker?.close();
    await redis?.cleanup();
    await cleanupDb?.();
    await rm(dir, { recursive: true, force: true });
  });

  const client = (path = '/certsrv/mscep/mscep.dll/pkiclient.exe', options = {}) => new TestScepClient(`${base}${path}`, options);
  const mintChallenge = async (body: object = {}) => {
    const r = await fetch(`${base}/api/scep/challenges`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { challenge: string }).challenge;
  };

  describe('GetCACert', () => {
    it('is RA signing, RA encryption (enrolled through the queue with the NDES templates), then the CA', () => {
      expect(ca.contentType).toBe('application/x-x509-ca-ra-cert');
      const [sign, enc, root] = ca.all;
      expect(sign!.keyUsages).toEqual(['digitalSignature']);
      expect(sign!.extendedKeyUsages).toEqual([Eku.certificateRequestAgent]);
      expect(enc!.keyUsages).toEqual(['keyEncipherment']);
      expect(root!.sha1Thumbprint).toBe(worker.ca.certificate.sha1Thumbprint);
      expect(
        worker.jobs
          .filter((j) => j.requestKey.startsWith('ra-'))
          .map((j) => j.template)
          .sort(),
      ).toEqual(['CEPEncryption', 'EnrollmentAgentOffline']);
    });

    it('the CAThumbprint endpoint gives the root SHA-1', async () => {
      const body = (await (await fetch(`${base}/api/scep/ca-thumbprint`)).json()) as { caThumbprint: string };
      expect(body.caThumbprint).toBe(worker.ca.certificate.sha1Thumbprint);
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
      const r = await fetch(`${base}${path}?operation=GetCACaps&message=default`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain');
      expect((await r.text()).split('\n')).toEqual(['POSTPKIOperation', 'SHA-1', 'SHA-256', 'SHA-512', 'AES', 'DES3', 'SCEPStandard', 'Renewal']);
    });

    it('GetNextCACert without a next CA (NDES: none): not advertised above, a clear 404 rather than a 500', async () => {
      const r = await fetch(`${base}/certsrv/mscep/mscep.dll/pkiclient.exe?operation=GetNextCACert&message=default`);
      expect(r.status).toBe(404);
      expect(await r.text()).toContain('no next CA certificate');
    });

    it('operation name matched case-insensitively', async () => {
      expect((await fetch(`${base}/scep?OPERATION=getcacaps`)).status).toBe(200);
    });

    it.each([['/scep/nosuchprofile/pkiclient.exe'], ['/other'], ['/certsrv/mscep/other.dll']])('%s is 404', async (path) => {
      expect((await fetch(`${base}${path}?operation=GetCACaps`)).status).toBe(404);
    });

    it('no operation is a 4xx (clients ignore it; NDES shows an info page)', async () => {
      expect((await fetch(`${base}/certsrv/mscep/mscep.dll`)).status).toBe(400);
    });

    it('/certsrv/mscep_admin redirects to the slash form, as IIS does', async () => {
      const r = await fetch(`${base}/certsrv/mscep_admin`, { redirect: 'manual' });
      expect(r.status).toBe(301);
      expect(r.headers.get('location')).toBe('/certsrv/mscep_admin/');
    });
  });

  describe('PKIOperation (Windows-shaped PKCSReq)', () => {
    it('SUCCESS with the certificate first, then the chain; a retry of the same transaction is answered the same way', async () => {
      const sut = client();
      const challenge = await mintChallenge();
      const csr = await sut.csr({ subject: 'CN=markotestmdm', challenge });
      const first = await sut.pkcsReq(ca, csr);
      expect(first.status).toBe('SUCCESS');
      const cert = parseCertificate(first.certificates[0]!);
      expect(cert.subject).toBe('CN=markotestmdm');
      expect(() => verifyIssuedBy(cert, worker.ca.certificate)).not.toThrow();
      expect(first.certificates.slice(1).map((c) => parseCertificate(c).sha1Thumbprint)).toEqual([worker.ca.certificate.sha1Thumbprint]);
      // echoed and fresh attributes
      expect(first.message.transactionId).toBe(sut.transactionId);
      expect(first.message.senderNonce).toHaveLength(16);
      const retry = await sut.pkcsReq(ca, csr);
      expect(retry.status).toBe('SUCCESS');
      expect(Buffer.from(retry.certificates[0]!).equals(Buffer.from(first.certificates[0]!))).toBe(true);
      expect(worker.jobs.filter((j) => j.requestKey.endsWith(sut.transactionId))).toHaveLength(1);
    });

    it('a one-time challenge used by one request fails a second, different request with badRequest', async () => {
      const challenge = await mintChallenge();
      const a = client();
      expect((await a.pkcsReq(ca, await a.csr({ subject: 'CN=first', challenge }))).status).toBe('SUCCESS');
      const b = client();
      const second = await b.pkcsReq(ca, await b.csr({ subject: 'CN=second', challenge }));
      expect(second.status).toBe('FAILURE');
      expect(second.failInfo).toBe(scep.FailInfo.badRequest);
      expect(second.failInfoText).toContain('already used');
    });

    it('a challenge bound to a subject refuses another subject', async () => {
      const challenge = await mintChallenge({ subject: 'CN=bound-device' });
      const c = client();
      const r = await c.pkcsReq(ca, await c.csr({ subject: 'CN=other-device', challenge }));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
    });

    it('wrong challenge → FAILURE badRequest (HTTP 200)', async () => {
      const c = client();
      const r = await c.pkcsReq(ca, await c.csr({ subject: 'CN=x', challenge: 'wrong' }));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
    });

    it('a CA denial → FAILURE badRequest with the CA message', async () => {
      const c = client();
      const r = await c.pkcsReq(ca, await c.csr({ subject: 'CN=please-deny-me', challenge: 'static-secret' }));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
      expect(r.failInfoText).toContain('Denied by Policy Module');
    });

    it('a bad signature → CertRep FAILURE badMessageCheck; garbage → HTTP 400', async () => {
      const c = client();
      const der = c.message(scep.MessageType.PKCSReq, await c.csr({ subject: 'CN=x', challenge: 'static-secret' }), ca.encryption);
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
      const c = client('/scep', options);
      const r = await c.pkcsReq(ca, await c.csr({ subject: 'CN=variant', challenge: 'static-secret' }));
      expect(r.status).toBe('SUCCESS');
    });
  });

  describe('HTTP encodings of PKIOperation', () => {
    const send = async (c: TestScepClient, init: (der: Uint8Array) => Promise<Response>) => {
      const der = c.message(scep.MessageType.PKCSReq, await c.csr({ subject: 'CN=encoding', challenge: 'static-secret' }), ca.encryption);
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
      const c = client();
      const rep = await send(c, (der) => fetch(`${c.url}?operation=PKIOperation&message=${encode(der)}`));
      expect(rep.status).toBe('SUCCESS');
    });

    it('GET request lines up to 64 KB are read (Windows sends 10–14 KB)', async () => {
      const c = client();
      const pad = 'A'.repeat(50_000);
      const rep = await send(c, (der) => fetch(`${c.url}?operation=PKIOperation&pad=${pad}&message=${encodeURIComponent(b64(der))}`));
      expect(rep.status).toBe('SUCCESS');
    });

    it.each([[null], ['application/octet-stream'], ['application/x-pki-message'], ['text/plain'], ['application/json']])(
      'POST with Content-Type %s (strongSwan sends none)',
      async (type) => {
        const c = client();
        const rep = await send(c, (der) => c.post(der, type));
        expect(rep.status).toBe('SUCCESS');
      },
    );

    it('POST bodies above the cap are refused', async () => {
      const r = await fetch(`${base}/scep?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(3 * 1024 * 1024) });
      expect(r.status).toBe(413);
    });
  });

  describe('PENDING, CertPoll, GetCert, GetCRL', () => {
    it('ManagerApproval profile: PENDING, then CertPoll gives SUCCESS after approval', async () => {
      const c = client('/scep/approval/pkiclient.exe');
      const csr = await c.csr({ subject: 'CN=approve-me', challenge: 'static-secret' });
      const first = await c.pkcsReq(ca, csr);
      expect(first.status).toBe('PENDING');
      const subject = scep.parsePkiMessage(c.message(scep.MessageType.PKCSReq, csr, ca.encryption)).signerCertificate.subject;
      expect((await c.certPoll(ca, subject)).status).toBe('PENDING');
      const key = [...worker.pending.keys()].find((k) => k.endsWith(c.transactionId))!;
      await worker.approve(key);
      let polled = await c.certPoll(ca, subject);
      for (let i = 0; i < 20 && polled.status === 'PENDING'; i++) polled = await c.certPoll(ca, subject);
      expect(polled.status).toBe('SUCCESS');
      expect(parseCertificate(polled.certificates[0]!).subject).toBe('CN=approve-me');
    });

    it('CertPoll for an unknown transaction → FAILURE badCertId', async () => {
      const c = client();
      const r = await c.certPoll(ca, scep.commonNameDer('nobody'));
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badCertId]);
    });

    it('GetCert returns a certificate issued here, by issuer and serial', async () => {
      const c = client('/scep/lab');
      const issued = await c.pkcsReq(ca, await c.csr({ subject: 'CN=getcert' }));
      const cert = parseCertificate(issued.certificates[0]!);
      const r = await c.send(
        c.message(
          scep.MessageType.GetCert,
          scep.encodeIssuerAndSerial({ issuer: cert.issuerDer, serial: Buffer.from(cert.serialNumber, 'hex') }),
          ca.encryption,
          'getcert-1',
        ),
      );
      expect(r.status).toBe('SUCCESS');
      expect(Buffer.from(r.certificates[0]!).equals(Buffer.from(cert.der))).toBe(true);
    });

    it('GetCRL without a configured CRL is a clear FAILURE', async () => {
      const c = client();
      const r = await c.send(
        c.message(
          scep.MessageType.GetCRL,
          scep.encodeIssuerAndSerial({ issuer: worker.ca.certificate.subjectDer, serial: Uint8Array.of(1) }),
          ca.encryption,
          'getcrl-1',
        ),
      );
      expect([r.status, r.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
      expect(r.failInfoText).toContain('no CRL is configured');
    });
  });

  describe('RenewalReq', () => {
    it('signed with a certificate we issued: SUCCESS without a challenge; self-signed: badMessageCheck', async () => {
      const c = client('/scep');
      const issued = await c.pkcsReq(ca, await c.csr({ subject: 'CN=renew-me', challenge: 'static-secret' }));
      const renewer = new TestScepClient(`${base}/scep`, {});
      const csr = await renewer.csr({ subject: 'CN=renew-me' });
      const der = scep.buildPkiRequest({
        messageType: scep.MessageType.RenewalReq,
        transactionId: 'renewal-1',
        content: csr,
        recipient: ca.encryption.der,
        cipher: 'aes-128-cbc',
        digest: 'sha256',
        signerCertificate: issued.certificates[0]!,
        signerKey: c.key,
      });
      const r = scep.readCertRep(new Uint8Array(await (await renewer.post(der)).arrayBuffer()), { certificate: issued.certificates[0]!, key: c.key });
      expect(r.status).toBe('SUCCESS');
      const self = await renewer.send(renewer.message(scep.MessageType.RenewalReq, csr, ca.encryption, 'renewal-2'));
      expect([self.status, self.failInfo]).toEqual(['FAILURE', scep.FailInfo.badMessageCheck]);
    });
  });

  it('the results consumer persisted SCEP enrollments in the database', async () => {
    const counts = await runtime.enrollments.countByStatus();
    expect(counts.issued).toBeGreaterThan(5);
    expect(readPkcs7Certificates).toBeDefined();
  });
});
