/**
 * Proof that the BUILT simulator (a real process on loopback) is an AD CS our MS-ICPR client can
 * enroll from: libs/wcce's IcprPool (SMB2/3 + NTLM + DCE/RPC PKT_PRIVACY) and the `wcce` CLI.
 * Certificates are checked with openssl against DIR/ca.pem; refusals and injected faults are
 * checked as the WcceError codes/statuses the worker classifies.
 * The request stub bytes themselves are pinned to wcce-protocol.md §2.3 / Appendix A by
 * libs/wcce/src/icpr/stubs.spec.ts; the first case here repeats that check on the encoder we use.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePemFirst, encodePem } from '@enrollgate/pki';
import {
  IcprPool,
  NtlmProvider,
  RpcAuthLevel,
  WcceError,
  encodeCertServerRequest,
  ntHash,
  type CaTarget,
  type IcprIssued,
  type IcprPoolOptions,
  type IcprResult,
} from '@enrollgate/wcce';
import {
  CA_NAME,
  DAY_MS,
  HASH_PASSWORD,
  HASH_USER,
  PASSWORD,
  REPO_ROOT,
  USER,
  admin,
  makeCsr,
  opensslCheck,
  run,
  startSim,
  type SimProcess,
} from '../../../test/support/adcs-sim.js';

const APPENDIX_A_STUB =
  '000000000800020008000000000000000800000074006500730074002d00430041000000000000003c000000000002003c000000430065007200740069006600690063006100740065005400650' +
  '06d0070006c006100740065003a005700650062005300650072007600650072000000050000000400020005000000300302010' +
  '0';

function provider(user = USER, password = PASSWORD, domain = 'TEST'): NtlmProvider {
  return new NtlmProvider({ kind: 'ntlm', domain, user, password });
}

function poolFor(options: Partial<IcprPoolOptions> = {}): IcprPool {
  return new IcprPool({ provider: provider(), timeoutMs: 5000, connectTimeoutMs: 5000, callDeadlineMs: 10_000, ...options });
}

async function caught(work: Promise<unknown>): Promise<WcceError> {
  try {
    await work;
  } catch (e) {
    if (e instanceof WcceError) return e;
    throw e;
  }
  throw new Error('expected a WcceError, the call succeeded');
}

function issued(result: IcprResult): IcprIssued {
  if (result.status !== 'issued') throw new Error(`expected issued, got ${result.status} (${result.message ?? ''})`);
  return result;
}

describe('adcs-sim (built process) with the libs/wcce client', () => {
  let sim: SimProcess;
  let target: CaTarget;
  let pool: IcprPool;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'adcs-sim-spec-'));
    sim = await startSim([], { hashUserNt: ntHash(HASH_PASSWORD).toString('hex') });
    target = { host: '127.0.0.1', port: sim.smbPort, serverName: 'adcs-sim.test.local', caName: CA_NAME };
    pool = poolFor();
  });

  afterAll(async () => {
    await pool?.close();
    await sim?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('encodes the request stub byte for byte as wcce-protocol.md Appendix A (all §2.3 vectors: libs/wcce stubs.spec.ts)', () => {
    const sut = encodeCertServerRequest(
      {
        flags: 0,
        authority: 'test-CA',
        requestId: 0,
        attributes: Buffer.from('CertificateTemplate:WebServer\0', 'utf16le'),
        request: Buffer.from('3003020100', 'hex'),
      },
      { authority: 0x20008, attributes: 0x20000, request: 0x20004 },
    ); // impacket's referent ids, as recorded
    expect(sut.toString('hex')).toBe(APPENDIX_A_STUB);
  });

  it('issues a WebServer certificate that openssl verifies against DIR/ca.pem, with the template EKU, KU and validity', async () => {
    const csr = await makeCsr('web1.test.local', ['web1.test.local', 'www.test.local']);
    const sut = issued(await pool.submit(target, { template: 'WebServer', csrDer: csr.der }));
    expect(sut.requestId).toBeGreaterThan(0);
    expect(sut.message).toBe('Issued');
    expect(sut.pkcs7).not.toBeNull();
    const report = await opensslCheck(sim.caPem, sut.certificate, work);
    expect(report.verifyOutput).toMatch(/: OK/);
    expect(report.verified).toBe(true);
    expect(report.keyUsage).toBe('Digital Signature, Key Encipherment');
    expect(report.extendedKeyUsage).toBe('TLS Web Server Authentication');
    // WebServer: 730 days.
    expect(Math.round((report.notAfter.getTime() - Date.now()) / DAY_MS)).toBe(730);
    expect(report.notBefore.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('issues with the template-specific profile (Machine: clientAuth + serverAuth, 365 days) and a P-256 key', async () => {
    const csr = await makeCsr('host1.test.local', ['host1.test.local'], 'p256');
    const sut = issued(await pool.submit(target, { template: 'Machine', csrDer: csr.der }));
    const report = await opensslCheck(sim.caPem, sut.certificate, work);
    expect(report.verified).toBe(true);
    expect(report.extendedKeyUsage).toBe('TLS Web Client Authentication, TLS Web Server Authentication');
    expect(Math.round((report.notAfter.getTime() - Date.now()) / DAY_MS)).toBe(365);
  });

  it('accepts an account given as an NT hash, matching the user name case-insensitively and any domain (lenient as Windows)', async () => {
    const other = poolFor({ provider: provider(HASH_USER.toUpperCase(), HASH_PASSWORD, 'test.local') });
    try {
      const csr = await makeCsr('web2.test.local');
      issued(await other.submit(target, { template: 'WebServer', csrDer: csr.der }));
      const { body } = await admin<{ requests: { requester: string }[] }>(sim, 'GET', '/requests?status=issued');
      expect(body.requests.map((r) => r.requester)).toContain(`test.local\\${HASH_USER.toUpperCase()}`);
    } finally {
      await other.close();
    }
  });

  it('pends a ManagerApproval request (5), which the admin API approves and a retrieval by id then collects', async () => {
    const csr = await makeCsr('pending1.test.local');
    const pending = await pool.submit(target, { template: 'ManagerApproval', csrDer: csr.der });
    expect(pending).toMatchObject({ status: 'pending', message: 'Taken Under Submission' });
    const id = pending.requestId;
    expect(issuedOrPendingStatus(await pool.retrieve(target, id))).toBe('pending');

    const listed = await admin<{ requests: { requestId: number; status: string; requester: string }[] }>(sim, 'GET', '/requests?status=pending');
    expect(listed.status).toBe(200);
    expect(listed.body.requests).toContainEqual(expect.objectContaining({ requestId: id, status: 'pending', requester: `TEST\\${USER}` }));

    const approved = await admin<{ status: string; certificate: string }>(sim, 'POST', `/requests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('issued');

    const sut = issued(await pool.retrieve(target, id));
    expect(Buffer.from(sut.certificate)).toEqual(Buffer.from(decodePemFirst(approved.body.certificate, 'CERTIFICATE')));
    const report = await opensslCheck(sim.caPem, sut.certificate, work);
    expect(report.verified).toBe(true);
    expect(report.extendedKeyUsage).toBe('TLS Web Server Authentication, TLS Web Client Authentication');

    // A second approval is a conflict; an unknown id is not found; both as JSON.
    const again = await admin<{ statusCode: number; message: string }>(sim, 'POST', `/requests/${id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/is issued/);
    expect((await admin(sim, 'POST', '/requests/4000000000/approve')).status).toBe(404);
    expect((await admin(sim, 'POST', '/requests/abc/deny')).status).toBe(400);
    expect((await admin(sim, 'GET', '/requests?status=bogus')).status).toBe(400);
  });

  it('reports a request denied through the admin API as CR_DISP_DENIED (2) on retrieval', async () => {
    const csr = await makeCsr('pending2.test.local');
    const pending = await pool.submit(target, { template: 'ManagerApproval', csrDer: csr.der });
    const denied = await admin<{ status: string; hresult: string }>(sim, 'POST', `/requests/${pending.requestId}/deny`);
    expect(denied.body).toMatchObject({ status: 'denied', hresult: '0x80094014' });
    const sut = await caught(pool.retrieve(target, pending.requestId));
    expect(sut).toMatchObject({ code: 'CA_DENIED', status: 2, retryable: false });
  });

  it.each([
    ['an unknown template', { template: 'NoSuchTemplate' }, 0x80094800],
    ['a wrong CA name', { caName: 'other-CA' }, 0x80070057],
  ])('answers %s with its HRESULT as the disposition', async (_what, change, hresult) => {
    const csr = await makeCsr('web3.test.local');
    const t = { ...target, ...('caName' in change ? { caName: change.caName } : {}) };
    const sut = await caught(pool.submit(t, { template: 'template' in change ? change.template : 'WebServer', csrDer: csr.der }));
    expect(sut).toMatchObject({ code: 'CA_DENIED', status: hresult, retryable: false });
  });

  it('refuses a wrong password at SMB session setup (AUTH_FAILED, STATUS_LOGON_FAILURE)', async () => {
    const other = poolFor({ provider: provider(USER, 'wrong-password') });
    try {
      const csr = await makeCsr('web4.test.local');
      const sut = await caught(other.submit(target, { template: 'WebServer', csrDer: csr.der }));
      expect(sut).toMatchObject({ code: 'AUTH_FAILED', status: 0xc000006d, retryable: false });
    } finally {
      await other.close();
    }
  });

  it('refuses RPC at PKT_INTEGRITY with E_ACCESSDENIED (IF_ENFORCEENCRYPTICERTREQUEST)', async () => {
    const other = poolFor({ authLevel: RpcAuthLevel.PKT_INTEGRITY });
    try {
      const csr = await makeCsr('web5.test.local');
      const sut = await caught(other.submit(target, { template: 'WebServer', csrDer: csr.der }));
      expect(sut).toMatchObject({ code: 'ACCESS_DENIED', status: 0x80070005 });
    } finally {
      await other.close();
    }
  });

  it('serves many concurrent sessions (16 enrollments over 8 associations), each certificate distinct', async () => {
    const csrs = await Promise.all(Array.from({ length: 16 }, (_, i) => makeCsr(`c${i}.test.local`, [`c${i}.test.local`], 'p256')));
    const results = await Promise.all(csrs.map((csr) => pool.submit(target, { template: 'WebServer', csrDer: csr.der })));
    const certs = results.map((r) => issued(r).certificate);
    expect(new Set(certs.map((c) => createHash('sha256').update(c).digest('hex'))).size).toBe(16);
  });

  describe('faults by magic SAN', () => {
    it('fault.sim → RPC FAULT nca_s_fault_remote_no_memory (transient), association kept', async () => {
      const csr = await makeCsr('x.test.local', ['x.test.local', 'fault.sim']);
      const sut = await caught(pool.submit(target, { template: 'WebServer', csrDer: csr.der }));
      expect(sut).toMatchObject({ code: 'RPC_FAULT', status: 0x1c000012, retryable: true });
    });

    it('delay-1s.sim → answered normally after at least a second', async () => {
      const csr = await makeCsr('x.test.local', ['x.test.local', 'delay-1s.sim']);
      const started = Date.now();
      issued(await pool.submit(target, { template: 'WebServer', csrDer: csr.der }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    });

    it('hang.sim → never answered: the client times out (TIMEOUT)', async () => {
      const short = poolFor({ callDeadlineMs: 1500, timeoutMs: 5000 });
      try {
        const csr = await makeCsr('x.test.local', ['x.test.local', 'hang.sim']);
        const sut = await caught(short.submit(target, { template: 'WebServer', csrDer: csr.der }));
        expect(sut).toMatchObject({ code: 'TIMEOUT', retryable: true });
      } finally {
        await short.close();
      }
    });

    it('drop.sim → the TCP connection is closed without an answer (TRANSPORT)', async () => {
      const csr = await makeCsr('x.test.local', ['x.test.local', 'drop.sim']);
      const sut = await caught(pool.submit(target, { template: 'WebServer', csrDer: csr.der }));
      expect(sut).toMatchObject({ code: 'TRANSPORT', retryable: true });
      // The next call reconnects and works.
      issued(await pool.submit(target, { template: 'WebServer', csrDer: (await makeCsr('y.test.local')).der }));
    });
  });

  describe('process-wide faults through the admin API', () => {
    afterEach(async () => {
      await admin(sim, 'PUT', '/faults', { faults: [], failFirst: 0 });
    });

    it('PUT /faults rpc-fault fails every call until cleared; failFirst fails the next N then recovers', async () => {
      const csr = await makeCsr('z.test.local');
      const set = await admin(sim, 'PUT', '/faults', { faults: ['rpc-fault'] });
      expect(set).toMatchObject({ status: 200, body: { faults: ['rpc-fault'], failFirst: 0 } });
      expect(await caught(pool.submit(target, { template: 'WebServer', csrDer: csr.der }))).toMatchObject({ code: 'RPC_FAULT', status: 0x1c000012 });

      await admin(sim, 'PUT', '/faults', { faults: [], failFirst: 2 });
      for (let i = 0; i < 2; i++) {
        expect(await caught(pool.submit(target, { template: 'WebServer', csrDer: csr.der }))).toMatchObject({
          code: 'RPC_FAULT',
          status: 0x1c010014,
          retryable: true,
        });
      }
      issued(await pool.submit(target, { template: 'WebServer', csrDer: csr.der }));
      expect((await admin(sim, 'GET', '/faults')).body).toEqual({ faults: [], failFirst: 0, failedFirst: 2 });
    });

    it('PUT /faults delay=500ms delays calls; a bad body is a 400 with the reason', async () => {
      await admin(sim, 'PUT', '/faults', { faults: ['delay=500ms'] });
      const started = Date.now();
      issued(await pool.submit(target, { template: 'WebServer', csrDer: (await makeCsr('d.test.local')).der }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      const bad = await admin<{ message: string }>(sim, 'PUT', '/faults', { faults: ['explode'] });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/expected hang, drop, rpc-fault or delay=DURATION/);
    });
  });

  it('serves /livez, /readyz, /ca.pem (= DIR/ca.pem) and enrollgate_ metrics by disposition and fault', async () => {
    expect((await admin(sim, 'GET', '/livez')).status).toBe(200);
    expect((await admin(sim, 'GET', '/readyz')).status).toBe(200);
    const pem = await admin(sim, 'GET', '/ca.pem');
    expect(pem.text).toBe(await readFile(sim.caPem, 'utf8'));
    const metrics = (await admin(sim, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/enrollgate_adcs_sim_requests_total\{operation="submit",disposition="issued",app="adcs-sim"\} [1-9]/);
    expect(metrics).toMatch(/enrollgate_adcs_sim_requests_total\{operation="submit",disposition="pending",app="adcs-sim"\} [1-9]/);
    expect(metrics).toMatch(/enrollgate_adcs_sim_icpr_calls_total\{operation="retrieve",app="adcs-sim"\} [1-9]/);
    expect(metrics).toMatch(/enrollgate_adcs_sim_faults_injected_total\{fault="hang",source="request",app="adcs-sim"\} 1/);
    expect(metrics).toMatch(/enrollgate_adcs_sim_requests_total\{operation="refused",disposition="refused",app="adcs-sim"\} [1-9]/);
  });

  it('enrolls with the `wcce` CLI (libs/wcce/dist/cli/main.js): exit 0 and a PEM that openssl verifies', async () => {
    const csr = await makeCsr('cli.test.local');
    const csrFile = join(work, 'cli.csr');
    const out = join(work, 'cli.pem');
    await writeFile(csrFile, csr.pem);
    const cli = join(REPO_ROOT, 'libs/wcce/dist/cli/main.js');
    const sut = await run(process.execPath, [
      cli,
      'request',
      '--target',
      `127.0.0.1:${sim.smbPort}`,
      '--domain',
      'TEST',
      '--user',
      USER,
      '--password',
      PASSWORD,
      '--ca',
      CA_NAME,
      '--template',
      'WebServer',
      '--csr',
      csrFile,
      '--out',
      out,
    ]);
    expect(sut.stderr + sut.stdout).not.toContain(PASSWORD);
    expect(sut.code).toBe(0);
    const leaf = decodePemFirst(await readFile(out, 'utf8'), 'CERTIFICATE');
    expect((await opensslCheck(sim.caPem, leaf, work)).verified).toBe(true);
  });

  it('never logs a password', () => {
    expect(sim.logs.join('\n')).not.toContain(PASSWORD);
  });
});

describe('adcs-sim --fail-first and shutdown', () => {
  it('fails the first N calls with nca_s_server_too_busy, then issues; SIGTERM stops it cleanly (exit 0)', async () => {
    const sim = await startSim(['--fail-first', '2', '--ca-key', 'p256', '--intermediate']);
    const pool = poolFor();
    const target = { host: '127.0.0.1', port: sim.smbPort, caName: CA_NAME };
    const work = await mkdtemp(join(tmpdir(), 'adcs-sim-spec-'));
    try {
      const csr = await makeCsr('ff.test.local');
      for (let i = 0; i < 2; i++) {
        expect(await caught(pool.submit(target, { template: 'WebServer', csrDer: csr.der }))).toMatchObject({ code: 'RPC_FAULT', status: 0x1c010014 });
      }
      const sut = issued(await pool.submit(target, { template: 'WebServer', csrDer: csr.der }));
      // Issued by the P-256 intermediate; openssl needs the intermediate as untrusted input.
      const report = await opensslCheck(sim.caPem, sut.certificate, work);
      expect(report.verified).toBe(false);
      const chainFile = join(sim.stateDir, 'chain.pem');
      const leafFile = join(work, 'leaf.pem');
      await writeFile(leafFile, encodePem('CERTIFICATE', sut.certificate));
      const verify = await run('openssl', ['verify', '-CAfile', sim.caPem, '-untrusted', chainFile, leafFile]);
      expect(verify.stdout).toMatch(/: OK/);
    } finally {
      await pool.close();
      await rm(work, { recursive: true, force: true });
      expect(await sim.stop()).toBe(0);
      expect(sim.logs.join('\n')).toMatch(/"msg":"stopped"/);
    }
  });
});

function issuedOrPendingStatus(result: IcprResult): string {
  return result.status;
}
