/**
 * scep-api → queue → wcce-worker → adcs-sim, all real processes from the built dist, with
 * third-party SCEP clients from Debian (certmonger, micromdm scepclient) and the Windows client
 * reproduced exactly (research/scep-windows.md §3.2). Needs: apt-get install certmonger scep dbus.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate, scep } from '@enrollgate/pki';
import { startScepStack, type ScepStack } from './support/stack.js';
import { TestScepClient } from './support/scep-client.js';

let stack: ScepStack;
beforeAll(async () => {
  stack = await startScepStack();
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

function opensslVerify(certFile: string): string {
  const r = spawnSync('openssl', ['verify', '-CAfile', stack.caPem, certFile]);
  return r.stdout.toString().trim();
}

describe('certmonger (getcert add-scep-ca + getcert request, own bus, state in a temp dir)', () => {
  it('obtains a certificate that verifies against the simulator CA', () => {
    const dir = join(stack.dir, 'certmonger');
    const state = ['cas', 'requests', 'config', 'local', 'tmp'].map((d) => join(dir, 'state', d));
    for (const d of [...state, join(dir, 'home')]) mkdirSync(d, { recursive: true });
    // certmonger -c runs the script with a scrubbed environment: every path is baked in
    writeFileSync(
      join(dir, 'cm.sh'),
      [
        `getcert add-scep-ca -s -c EG -u ${stack.scepBase}/certsrv/mscep/mscep.dll`,
        `getcert request -s -c EG -k ${dir}/cm.key -f ${dir}/cm.pem -N CN=certmonger-peer -L static-secret -I cm1 -w --wait-timeout 90`,
        `getcert list -s -i cm1`,
      ].join('\n'),
    );
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: join(dir, 'home'),
      CERTMONGER_CAS_DIR: state[0]!,
      CERTMONGER_REQUESTS_DIR: state[1]!,
      CERTMONGER_CONFIG_DIR: state[2]!,
      CERTMONGER_LOCAL_CA_DIR: state[3]!,
      CERTMONGER_TMPDIR: state[4]!,
    };
    const r = spawnSync('timeout', ['150', 'dbus-run-session', '--', 'certmonger', '-s', '-n', '-c', `bash ${dir}/cm.sh`], { env, encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    expect(out).toContain('status: MONITORING');
    expect(opensslVerify(join(dir, 'cm.pem'))).toBe(`${join(dir, 'cm.pem')}: OK`);
    expect(parseCertificate(readFileSync(join(dir, 'cm.pem'), 'utf8')).subject).toBe('CN=certmonger-peer');
  }, 200_000);
});

describe('micromdm scepclient (single DES enabled for it)', () => {
  it('obtains a certificate that verifies against the simulator CA', () => {
    const dir = join(stack.dir, 'scepclient');
    mkdirSync(dir, { recursive: true });
    const r = spawnSync(
      'timeout',
      [
        '90',
        'scepclient',
        '-server-url',
        `${stack.scepBase}/scep`,
        '-challenge',
        'static-secret',
        '-cn',
        'scepclient-peer',
        '-private-key',
        'client.key',
        '-certificate',
        'client.pem',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(opensslVerify(join(dir, 'client.pem'))).toBe(`${join(dir, 'client.pem')}: OK`);
  }, 120_000);
});

describe('the Windows client (ClientCertificateInstall CSP, research/scep-windows.md §3.2)', () => {
  it('GetCACaps + GetCACert with message=default on …/pkiclient.exe, POST with RSA-OAEP, AES-128, SHA-1, critical-AKI signer: CertRep checked attribute by attribute', async () => {
    const sut = new TestScepClient(`${stack.scepBase}/certsrv/mscep/mscep.dll/pkiclient.exe`, {
      digest: 'sha1',
      cipher: 'aes-128-cbc',
      keyTransport: { kind: 'rsaes-oaep', hash: 'sha1' },
      criticalAki: true,
    });
    expect(await sut.getCaCaps()).toEqual(expect.arrayContaining(['POSTPKIOperation', 'AES', 'SHA-1']));
    const ca = await sut.getCaCert();
    expect(ca.contentType).toBe('application/x-x509-ca-ra-cert');
    // KU/EKU Windows needs on the RA certificates (0x8010002c otherwise)
    expect(ca.all[0]!.keyUsages).toContain('digitalSignature');
    expect(ca.all[0]!.extendedKeyUsages).toContain('1.3.6.1.4.1.311.20.2.1');
    expect(ca.encryption.keyUsages).toContain('keyEncipherment');
    // the CAThumbprint of the profile matches a certificate of GetCACert
    const thumb = (await (await fetch(`${stack.scepBase}/api/scep/ca-thumbprint`)).json()) as { caThumbprint: string };
    expect(ca.all.map((c) => c.sha1Thumbprint)).toContain(thumb.caThumbprint);

    const csr = await sut.csr({ subject: 'CN=markotestmdm', challenge: 'static-secret', keyUsages: ['digitalSignature', 'keyEncipherment'] });
    const request = sut.message(scep.MessageType.PKCSReq, csr, ca.encryption);
    const parsedRequest = scep.parsePkiMessage(request);
    expect(sut.transactionId).toMatch(/^[0-9a-f]{40}$/);
    const response = await sut.post(request);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-pki-message');
    const rep = sut.read(new Uint8Array(await response.arrayBuffer()));
    const m = rep.message;
    expect(m.messageType).toBe(3); // messageType "3"
    expect(m.pkiStatus).toBe(0); // SUCCESS
    expect(Buffer.from(m.transactionIdDer).equals(Buffer.from(parsedRequest.transactionIdDer))).toBe(true); // byte-identical echo
    expect(Buffer.from(m.recipientNonce!).equals(Buffer.from(parsedRequest.senderNonce!))).toBe(true);
    expect(m.senderNonce).toHaveLength(16);
    expect(Buffer.from(m.senderNonce!).equals(Buffer.from(parsedRequest.senderNonce!))).toBe(false); // fresh
    expect(m.failInfo).toBeUndefined();
    expect(m.digest).toBe('sha1'); // mirrors the request
    expect(m.signer.signatureAlgorithm).toBe(scep.ScepOid.rsaEncryption);
    expect(m.signerCertificate.info?.sha1Thumbprint).toBe(ca.all[0]!.sha1Thumbprint); // signed by the RA signing certificate
    expect(scep.parseEnvelopedData(m.envelope!).cipher).toBe('aes-128-cbc'); // the request's cipher
    const issued = parseCertificate(rep.certificates[0]!);
    expect(issued.subject).toBe('CN=markotestmdm');
    expect(issued.issuer).toBe('CN=eg-scep-CA');
    writeFileSync(join(stack.dir, 'windows.pem'), `-----BEGIN CERTIFICATE-----\n${Buffer.from(issued.der).toString('base64')}\n-----END CERTIFICATE-----\n`);
    expect(opensslVerify(join(stack.dir, 'windows.pem'))).toContain(': OK');
  }, 60_000);
});

describe("Fleet's NDES integration (challenge from /certsrv/mscep_admin/)", () => {
  it('authenticated GET, UTF-16 decode, regex; the challenge enrolls once; a second, different request with it fails badRequest', async () => {
    const adminUrl = `${stack.scepBase}/certsrv/mscep_admin/`;
    // go-ntlmssp Negotiator: an unauthenticated probe first, then Basic since only Basic is offered
    const probe = await fetch(adminUrl);
    expect(probe.status).toBe(401);
    expect(probe.headers.get('www-authenticate')).toMatch(/^Basic/);
    const page = await fetch(adminUrl, { headers: { authorization: 'Basic ' + Buffer.from('fleet:fleet-pw').toString('base64') } });
    expect(page.status).toBe(200);
    const body = Buffer.from(await page.arrayBuffer());
    // Fleet: UTF-16LE unless a BOM says otherwise
    const text = (body[0] === 0xff && body[1] === 0xfe ? body.subarray(2) : body).toString('utf16le');
    const match = /The enrollment challenge password is: <B> (\S*)/.exec(text);
    expect(match).not.toBeNull();
    const challenge = match![1]!;
    expect(challenge).toMatch(/^[0-9A-F]{16}$/);
    expect(text).toContain('This password can be used only once and will expire within 60 minutes.');

    const first = new TestScepClient(`${stack.scepBase}/certsrv/mscep/mscep.dll/pkiclient.exe`);
    const ca = await first.getCaCert();
    const ok = await first.pkcsReq(ca, await first.csr({ subject: 'CN=fleet-host-1', challenge }));
    expect(ok.status).toBe('SUCCESS');
    const second = new TestScepClient(`${stack.scepBase}/certsrv/mscep/mscep.dll/pkiclient.exe`);
    const refused = await second.pkcsReq(ca, await second.csr({ subject: 'CN=fleet-host-2', challenge }));
    expect([refused.status, refused.failInfo]).toEqual(['FAILURE', scep.FailInfo.badRequest]);
  }, 60_000);
});

describe('PENDING (ManagerApproval) → approve in the simulator → CertPoll SUCCESS', () => {
  it('answers PENDING, then SUCCESS once the certificate manager approved', async () => {
    const sut = new TestScepClient(`${stack.scepBase}/scep/approval/pkiclient.exe`);
    const ca = await sut.getCaCert();
    const csr = await sut.csr({ subject: 'CN=needs-approval', challenge: 'static-secret' });
    const first = await sut.pkcsReq(ca, csr);
    expect(first.status).toBe('PENDING');
    const list = (await (await fetch(`${stack.simAdmin}/requests?status=pending`)).json()) as { requests: { requestId: number }[] };
    expect(list.requests.length).toBeGreaterThan(0);
    const id = list.requests[list.requests.length - 1]!.requestId;
    const approved = await fetch(`${stack.simAdmin}/requests/${id}/approve`, { method: 'POST' });
    expect(approved.status).toBe(200);
    const subject = scep.parsePkiMessage(sut.message(scep.MessageType.PKCSReq, csr, ca.encryption)).signerCertificate.subject;
    let polled = await sut.certPoll(ca, subject);
    const deadline = Date.now() + 60_000;
    while (polled.status === 'PENDING' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      polled = await sut.certPoll(ca, subject);
    }
    expect(polled.status).toBe('SUCCESS');
    expect(parseCertificate(polled.certificates[0]!).subject).toBe('CN=needs-approval');
  }, 90_000);
});
