/**
 * The RA certificates over time and CA rollover, on real Redis and SQLite/PostgreSQL with the
 * stand-in CA worker on the real queues and a controllable clock: an RA certificate within
 * SCEP_RA_RENEW_BEFORE_DAYS of its expiry is enrolled again from the CA (EnrollmentAgentOffline,
 * CEPEncryption) before it expires, GetCACert and the expiry gauge follow, and a request a client
 * encrypted to the previous encryption certificate still opens. GetNextCACert (RFC 8894 §4.7) with a
 * configured next CA: advertised, and its SignedData verified by `openssl cms -verify`.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRootCa, encodePem, parseCertificate, readPkcs7Certificates, scep, type CertificateAuthority } from '@enrollgate/pki';
import { withDatabases } from '../../../test/support/databases.js';
import { RaService } from '../src/ra/ra.service.js';
import { startInProcessScep, type InProcessScep } from './support/in-process.js';

const databases = await withDatabases();
const DAY_MS = 86_400_000;

describe.each(databases)('RA certificates and CA rollover on $name', ({ open }) => {
  let api: InProcessScep;
  let nextCa: CertificateAuthority;
  let offsetMs = 0;

  beforeAll(async () => {
    nextCa = await createRootCa({ subject: 'CN=Fake SCEP Test CA G2' });
    api = await startInProcessScep({
      open,
      dirPrefix: 'eg-scep-ra-',
      files: { 'next-ca.pem': encodePem('CERTIFICATE', nextCa.certificate.der) },
      env: (dir) => ({
        SCEP_RA_RENEW_BEFORE_DAYS: '7',
        SCEP_CHALLENGE_PASSWORD: 'static-secret',
        SCEP_NEXT_CA_CHAIN_FILE: join(dir, 'next-ca.pem'),
        SCEP_WAIT_SECONDS: '10',
      }),
      clock: () => Date.now() + offsetMs,
      caPath: false,
    });
  });
  afterAll(() => api?.close());

  const raJobs = () => api.worker.jobs.filter((j) => j.requestKey.startsWith('ra-')).map((j) => j.template);
  const expiryGauge = async (usage: string): Promise<number> => {
    const text = await (await fetch(`${api.base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('enrollgate_scep_ra_certificate_expiry_timestamp_seconds{') && l.includes(`usage="${usage}"`));
    return Number(line?.split(' ').pop());
  };

  it('renews both RA certificates from the CA once within SCEP_RA_RENEW_BEFORE_DAYS of expiry; the gauge and GetCACert follow; the old encryption key still opens requests', async () => {
    const client = api.client('/scep');
    const before = await client.getCaCert();
    const [oldSigning, oldEncryption] = before.all;
    expect(raJobs().sort()).toEqual(['CEPEncryption', 'EnrollmentAgentOffline']);
    expect(await expiryGauge('signing')).toBe(Math.floor(oldSigning!.notAfter.getTime() / 1000));
    // a request prepared before the renewal, encrypted to the encryption certificate of then
    const early = client.message(scep.MessageType.PKCSReq, await client.csr({ subject: 'CN=before-renewal', challenge: 'static-secret' }), before.encryption);

    // 20 days on: 10 days left (issued for 30) → nothing to do
    offsetMs = 20 * DAY_MS;
    await api.app.get(RaService).checkRenewal();
    expect(raJobs()).toHaveLength(2);

    // 24 days on: 6 days left, inside the 7-day window → both enrolled again through the queue
    offsetMs = 24 * DAY_MS;
    await api.app.get(RaService).checkRenewal();
    expect(raJobs().sort()).toEqual(['CEPEncryption', 'CEPEncryption', 'EnrollmentAgentOffline', 'EnrollmentAgentOffline']);
    const after = await client.getCaCert();
    const [newSigning, newEncryption] = after.all;
    expect(newSigning!.serialNumber).not.toBe(oldSigning!.serialNumber);
    expect(newEncryption!.serialNumber).not.toBe(oldEncryption!.serialNumber);
    expect(newSigning!.keyUsages).toEqual(['digitalSignature']);
    expect(newEncryption!.keyUsages).toEqual(['keyEncipherment']);
    expect(await expiryGauge('signing')).toBe(Math.floor(newSigning!.notAfter.getTime() / 1000));
    expect(await expiryGauge('encryption')).toBe(Math.floor(newEncryption!.notAfter.getTime() / 1000));
    // stored for the next start
    expect(parseCertificate(await readFile(join(api.dir, 'ra', 'signing.cert.pem'), 'utf8')).serialNumber).toBe(newSigning!.serialNumber);

    // the early request still opens (previous encryption key kept); the reply is signed by the new RA signing certificate
    const rep = client.read(new Uint8Array(await (await client.post(early)).arrayBuffer()));
    expect(rep.status).toBe('SUCCESS');
    expect(rep.message.signerCertificate.info?.serialNumber).toBe(newSigning!.serialNumber);
    offsetMs = 0;
  });

  it('GetNextCACert: advertised while a next CA is configured; a SignedData from the RA signing key over the next CA certificate (openssl cms -verify)', async () => {
    const caps = (await (await fetch(`${api.base}/scep?operation=GetCACaps`)).text()).split('\n');
    expect(caps).toContain('GetNextCACert');
    const r = await fetch(`${api.base}/certsrv/mscep/mscep.dll/pkiclient.exe?operation=GetNextCACert&message=default`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-x509-next-ca-cert');
    await writeFile(join(api.dir, 'next.p7'), Buffer.from(await r.arrayBuffer()));
    await writeFile(join(api.dir, 'ca.pem'), encodePem('CERTIFICATE', api.worker.ca.certificate.der));
    const v = spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        join(api.dir, 'next.p7'),
        '-CAfile',
        join(api.dir, 'ca.pem'),
        '-purpose',
        'any',
        '-out',
        join(api.dir, 'content.der'),
      ],
      { encoding: 'utf8' },
    );
    expect(v.stderr).toContain('Verification successful');
    const inner = readPkcs7Certificates(new Uint8Array(await readFile(join(api.dir, 'content.der'))));
    expect(inner.map((c) => c.sha1Thumbprint)).toEqual([nextCa.certificate.sha1Thumbprint]);
  });
});
