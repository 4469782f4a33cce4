/**
 * Third-party proof of the simulator's MS-ICPR: Debian's impacket 0.10 (`/usr/bin/python3`,
 * python3-impacket) enrolls over SMB 2.1 with DCE/RPC NTLM at PKT_PRIVACY through
 * bench/peers/impacket_icpr.py (which defines the CertServerRequest NDR structures itself, as
 * impacket 0.10 has no ICPR module), exactly as acme2certifier and Certipy do against AD CS.
 * tshark captures of impacket's enrollment and of ours decode as DCE/RPC opnum 0 on ICertPassage
 * with no malformed packets.
 *
 * Run: ENROLLGATE_TEST_KIND=interop npm run test:unit -- apps/adcs-sim/test
 * impacket missing → skipped with a printed reason (CI=true: fails). Captures need root; when not
 * root they are skipped with a printed reason (CI=true: fails).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IcprPool, NtlmProvider } from '@enrollgate/wcce';
import { Capture, ICPR_UUID, captureUnavailableReason, decodeCapture, type DecodedCapture } from './support/capture.js';
import { CA_NAME, DAY_MS, PASSWORD, REPO_ROOT, USER, admin, makeCsr, opensslCheck, run, startSim, type SimProcess } from '../../../test/support/adcs-sim.js';

const SCRIPT = join(REPO_ROOT, 'bench/peers/impacket_icpr.py');
const CI = process.env['CI'] === 'true';

function impacketPython(): string | undefined {
  for (const python of [process.env['IMPACKET_PYTHON'], '/usr/bin/python3']) {
    if (!python) continue;
    try {
      execFileSync(python, ['-c', 'import impacket.dcerpc.v5.transport'], { stdio: 'ignore' });
      return python;
    } catch {
      // next
    }
  }
  return undefined;
}

const python = impacketPython();
if (!python) {
  const reason = 'python3-impacket is not installed for /usr/bin/python3 (apt-get install -y python3-impacket)';
  if (CI) throw new Error(`impacket interop cannot run: ${reason}`);
  console.warn(`skipping the impacket -> adcs-sim interop: ${reason}`);
}

interface ImpacketAnswer {
  dialect?: string;
  requestId?: number;
  disposition?: number;
  returnValue?: number;
  message?: string;
  encodedCert?: string;
  cert?: string;
  error?: string;
  code?: number | null;
}

(python ? describe : describe.skip)('impacket 0.10 (MS-ICPR over SMB 2.1, NTLM, PKT_PRIVACY) against adcs-sim', () => {
  let sim: SimProcess;
  let work: string;
  let csrFile: string;

  async function impacket(args: string[], password = PASSWORD): Promise<ImpacketAnswer> {
    const out = await run(python as string, [
      SCRIPT,
      '--port',
      String(sim.smbPort),
      '--user',
      USER,
      '--password',
      password,
      '--domain',
      'TEST',
      '--dialect',
      '2.1',
      ...args,
    ]);
    const last = out.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as ImpacketAnswer;
    } catch {
      throw new Error(`impacket_icpr.py exited ${out.code}: ${out.stderr}${out.stdout}`);
    }
  }

  async function csr(name: string): Promise<string> {
    const file = join(work, `${name}.csr`);
    await writeFile(file, (await makeCsr(name)).pem);
    return file;
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'adcs-sim-interop-'));
    sim = await startSim();
    csrFile = await csr('impacket1.test.local');
  });

  afterAll(async () => {
    await sim?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('gets a WebServer certificate that openssl verifies against DIR/ca.pem, with the template EKU, KU and validity', async () => {
    const sut = await impacket(['--ca', CA_NAME, '--template', 'WebServer', '--csr', csrFile]);
    expect(sut).toMatchObject({ dialect: '0x210', disposition: 3, returnValue: 0, message: 'Issued' });
    expect(sut.cert).not.toBe('');
    const report = await opensslCheck(sim.caPem, Buffer.from(sut.encodedCert ?? '', 'base64'), work);
    expect(report.verifyOutput).toMatch(/: OK/);
    expect(report.keyUsage).toBe('Digital Signature, Key Encipherment');
    expect(report.extendedKeyUsage).toBe('TLS Web Server Authentication');
    expect(Math.round((report.notAfter.getTime() - Date.now()) / DAY_MS)).toBe(730);
  });

  it('is refused at PKT_INTEGRITY: E_ACCESSDENIED (0x80070005) in the return value, no certificate', async () => {
    const sut = await impacket(['--ca', CA_NAME, '--template', 'WebServer', '--csr', csrFile, '--level', 'integrity']);
    expect(sut).toMatchObject({ returnValue: 0x80070005, encodedCert: '' });
  });

  it('is refused with a wrong password: STATUS_LOGON_FAILURE at SMB session setup', async () => {
    const sut = await impacket(['--ca', CA_NAME, '--template', 'WebServer', '--csr', csrFile], 'not-the-password');
    expect(sut).toMatchObject({ code: 0xc000006d });
    expect(sut.error).toMatch(/STATUS_LOGON_FAILURE/);
  });

  it('gets ManagerApproval pending (5); approved through the admin API, then retrieved by id (3)', async () => {
    const pending = await impacket(['--ca', CA_NAME, '--template', 'ManagerApproval', '--csr', await csr('impacket2.test.local')]);
    expect(pending).toMatchObject({ disposition: 5, returnValue: 0, message: 'Taken Under Submission', encodedCert: '' });
    const id = pending.requestId as number;
    expect((await admin(sim, 'POST', `/requests/${id}/approve`)).status).toBe(200);
    const sut = await impacket(['--ca', CA_NAME, '--retrieve', String(id)]);
    expect(sut).toMatchObject({ requestId: id, disposition: 3, returnValue: 0 });
    const report = await opensslCheck(sim.caPem, Buffer.from(sut.encodedCert ?? '', 'base64'), work);
    expect(report.verified).toBe(true);
    expect(report.extendedKeyUsage).toBe('TLS Web Server Authentication, TLS Web Client Authentication');
  });

  it.each([
    ['an unknown template', ['--ca', CA_NAME, '--template', 'NoSuchTemplate'], 0x80094800],
    ['a wrong CA name', ['--ca', 'other-CA', '--template', 'WebServer'], 0x80070057],
  ])('gets %s answered with its HRESULT as the disposition', async (_what, args, hresult) => {
    const sut = await impacket([...args, '--csr', csrFile]);
    expect(sut).toMatchObject({ disposition: hresult, returnValue: 0, encodedCert: '' });
    expect(sut.message).toMatch(new RegExp(`0x${hresult.toString(16).toUpperCase()}`));
  });

  describe('tshark captures (decoded two-pass with the NTLM password)', () => {
    let skipReason: string | undefined;
    beforeAll(async () => {
      skipReason = await captureUnavailableReason();
      if (skipReason && CI) throw new Error(`captures cannot run with CI=true: ${skipReason}`);
      if (skipReason) console.warn(`skipping the adcs-sim capture checks: ${skipReason}`);
    });

    async function captured(name: string, enroll: () => Promise<void>): Promise<DecodedCapture> {
      const file = join(work, `${name}.pcapng`);
      const capture = await Capture.start(sim.smbPort, file);
      try {
        await enroll();
      } finally {
        await capture.stop();
      }
      return decodeCapture(file, sim.smbPort, PASSWORD);
    }

    function expectIcprCall(sut: DecodedCapture): void {
      expect(sut.packets.some((p) => p.type === 11 && p.bindUuid === ICPR_UUID)).toBe(true);
      const request = sut.packets.find((p) => p.type === 0 && p.opnum === '0');
      const response = sut.packets.find((p) => p.type === 2 && p.opnum === '0');
      expect(request).toMatchObject({ authLevel: '6', decrypted: true });
      expect(response).toMatchObject({ authLevel: '6', decrypted: true });
      expect(sut.malformed).toEqual([]);
    }

    it("impacket's enrollment decodes as DCE/RPC opnum 0 on ICertPassage, sealed and decrypted, nothing malformed", async () => {
      if (skipReason) return;
      const sut = await captured('impacket', async () => {
        expect(await impacket(['--ca', CA_NAME, '--template', 'WebServer', '--csr', csrFile])).toMatchObject({ disposition: 3 });
      });
      expectIcprCall(sut);
    });

    it('our client’s enrollment (IcprPool, default dialects) decodes the same way', async () => {
      if (skipReason) return;
      const pool = new IcprPool({ provider: new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: USER, password: PASSWORD }), timeoutMs: 5000 });
      try {
        const der = (await makeCsr('ours.test.local')).der;
        const sut = await captured('ours', async () => {
          const result = await pool.submit({ host: '127.0.0.1', port: sim.smbPort, caName: CA_NAME }, { template: 'WebServer', csrDer: der });
          expect(result.status).toBe('issued');
          await pool.close();
        });
        expectIcprCall(sut);
      } finally {
        await pool.close();
      }
    });
  });
});
