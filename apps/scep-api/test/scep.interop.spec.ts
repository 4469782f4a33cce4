/**
 * scep-api → queue → wcce-worker → adcs-sim, all real processes from the built dist, with
 * third-party SCEP clients from Debian (certmonger, micromdm scepclient) and the Windows client
 * reproduced exactly (research/scep-windows.md §3.2), and NTLM on the NDES admin page with curl and
 * python requests-ntlm. Needs: apt-get install certmonger scep dbus curl python3-requests-ntlm.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate, scep } from '@enrollgate/pki';
import { ScepChallengeRepository, openDatabase } from '@enrollgate/store';
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

/** Fleet's reading of the page: UTF-16LE unless a BOM says otherwise, then its regex. */
function fleetChallenge(body: Buffer): { text: string; challenge: string | undefined } {
  const text = (body[0] === 0xff && body[1] === 0xfe ? body.subarray(2) : body).toString('utf16le');
  return { text, challenge: /The enrollment challenge password is: <B> (\S*)/.exec(text)?.[1] };
}

async function openChallenges(): Promise<number> {
  const db = openDatabase(`sqlite://${join(stack.dir, 'eg.db')}`);
  try {
    return await new ScepChallengeRepository(db).countOpen();
  } finally {
    await db.close();
  }
}

describe('NTLM on /certsrv/mscep_admin/ with third-party clients', () => {
  const adminUrl = () => `${stack.scepBase}/certsrv/mscep_admin/`;
  const curl = (user: string) => {
    const out = join(stack.dir, `curl-${user.replace(/\W/g, '_')}.html`);
    const r = spawnSync('curl', ['-sS', '-v', '--ntlm', '-u', user, '-o', out, '-w', '%{http_code} %{num_connects}', adminUrl()], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, writeOut: r.stdout, verbose: r.stderr, body: () => readFileSync(out) };
  };

  it('curl --ntlm -u fleet:fleet-pw: NEGOTIATE → 401 CHALLENGE → AUTHENTICATE on one connection, 200 with a fresh challenge', async () => {
    const before = await openChallenges();
    const r = curl('fleet:fleet-pw');
    expect(r.status).toBe(0);
    expect(r.writeOut).toBe('200 1'); // one TCP connection for the three legs
    expect(r.verbose).toMatch(/< HTTP\/1\.1 401[\s\S]*< www-authenticate: NTLM \S+[\s\S]*Re-using existing connection[\s\S]*< HTTP\/1\.1 200/i);
    const { challenge } = fleetChallenge(r.body());
    expect(challenge).toMatch(/^[0-9A-F]{16}$/);
    expect(await openChallenges()).toBe(before + 1);
  });

  it('curl --ntlm with a wrong password: 401, no challenge minted', async () => {
    const before = await openChallenges();
    const r = curl('fleet:wrong-password');
    expect(r.writeOut).toBe('401 1');
    expect(fleetChallenge(r.body()).challenge).toBeUndefined();
    expect(await openChallenges()).toBe(before);
  });

  it('python requests-ntlm (HttpNtlmAuth, DOMAIN\\user): 200 with a challenge; wrong password 401', async () => {
    const before = await openChallenges();
    const script = [
      'import sys, requests',
      'from requests_ntlm import HttpNtlmAuth',
      's = requests.Session()',
      'r = s.get(sys.argv[1], auth=HttpNtlmAuth(sys.argv[2], sys.argv[3]))',
      'sys.stdout.write(str(r.status_code) + " " + r.content[2:].decode("utf-16le", "replace"))',
    ].join('\n');
    // ntlm_auth takes MD4 from hashlib, which OpenSSL 3 has only in its legacy provider: enabled for this process alone
    const conf = join(stack.dir, 'openssl-legacy.cnf');
    writeFileSync(conf, 'openssl_conf = init\n[init]\nproviders = providers\n[providers]\ndefault = on\nlegacy = on\n[on]\nactivate = 1\n');
    const run = (user: string, password: string) =>
      spawnSync('/usr/bin/python3', ['-c', script, adminUrl(), user, password], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', OPENSSL_CONF: conf },
      });
    const ok = run('CORP\\fleet', 'fleet-pw');
    expect(ok.stderr).toBe('');
    expect(ok.stdout.slice(0, 3)).toBe('200');
    expect(/The enrollment challenge password is: <B> ([0-9A-F]{16})/.test(ok.stdout)).toBe(true);
    const bad = run('CORP\\fleet', 'nope');
    expect(bad.stdout.slice(0, 3)).toBe('401');
    expect(await openChallenges()).toBe(before + 1);
  });
});

describe("Fleet's NDES integration (challenge from /certsrv/mscep_admin/)", () => {
  it('authenticated GET (Basic), UTF-16 decode, regex; the challenge enrolls once; a second, different request with it fails badRequest', async () => {
    const adminUrl = `${stack.scepBase}/certsrv/mscep_admin/`;
    // go-ntlmssp Negotiator: an unauthenticated probe first; IIS-like offers (Negotiate, NTLM, Basic)
    const probe = await fetch(adminUrl);
    expect(probe.status).toBe(401);
    expect(probe.headers.get('www-authenticate')).toBe('Negotiate, NTLM, Basic realm="mscep_admin"');
    const page = await fetch(adminUrl, { headers: { authorization: 'Basic ' + Buffer.from('fleet:fleet-pw').toString('base64') } });
    expect(page.status).toBe(200);
    const body = Buffer.from(await page.arrayBuffer());
    const { text, challenge: match } = fleetChallenge(body);
    expect(match).toBeDefined();
    const challenge = match!;
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
