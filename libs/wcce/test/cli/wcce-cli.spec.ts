/**
 * The `wcce` CLI against the built simulator: every documented exit code, the PEM it writes
 * (leaf then chain, verified by openssl), and that the password never shows up in its output.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CA_NAME, PASSWORD, REPO_ROOT, USER, makeCsr, run, startSim, type SimProcess } from '../../../../test/support/adcs-sim.js';
import { ExitCode, runCli } from '../../src/cli/run.js';

describe('wcce CLI', () => {
  let sim: SimProcess;
  let dir: string;
  let csrFile: string;
  let silentServer: Server;
  let silentPort: number;

  beforeAll(async () => {
    sim = await startSim();
    dir = await mkdtemp(join(tmpdir(), 'wcce-cli-'));
    csrFile = join(dir, 'req.csr');
    await writeFile(csrFile, (await makeCsr('cli.example.test')).pem);
    silentServer = createServer(() => undefined); // accepts TCP, never answers
    await new Promise<void>((r) => silentServer.listen(0, '127.0.0.1', () => r()));
    silentPort = (silentServer.address() as { port: number }).port;
  }, 60000);
  afterAll(async () => {
    await sim?.stop();
    silentServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(args: string[], env: Record<string, string | undefined> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }
  const common = (port = sim.smbPort) => ['--target', `127.0.0.1:${port}`, '--domain', 'TEST', '--user', USER, '--ca', CA_NAME];

  it('exits 0 and writes the leaf then the chain as PEM (issued), password from WCCE_PASSWORD', async () => {
    const out = join(dir, 'issued.pem');
    const sut = await cli(['request', ...common(), '--template', 'WebServer', '--csr', csrFile, '--out', out], { WCCE_PASSWORD: PASSWORD });
    expect(sut.code).toBe(ExitCode.ISSUED);
    const pem = await readFile(out, 'utf8');
    expect(pem.match(/BEGIN CERTIFICATE/g)?.length).toBe(2);
    const leaf = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25);
    await writeFile(join(dir, 'leaf.pem'), leaf);
    const verify = await run('openssl', ['verify', '-CAfile', sim.caPem, join(dir, 'leaf.pem')]);
    expect(verify.stdout).toContain(': OK');
    expect(sut.stdout + sut.stderr).not.toContain(PASSWORD);
  });

  it('exits 2 with the request id for a pending request, and retrieve gets it once approved', async () => {
    const sut = await cli([
      'request',
      ...common(),
      '--password',
      PASSWORD,
      '--template',
      'ManagerApproval',
      '--csr',
      csrFile,
      '--out',
      join(dir, 'p.pem'),
      '--json',
    ]);
    expect(sut.code).toBe(ExitCode.PENDING);
    const { requestId, status } = JSON.parse(sut.stdout) as { requestId: number; status: string };
    expect(status).toBe('pending');
    expect((await fetch(`${sim.adminUrl}/requests/${requestId}/approve`, { method: 'POST' })).status).toBe(200);
    const got = await cli(['retrieve', ...common(), '--password', PASSWORD, '--request-id', String(requestId), '--out', join(dir, 'r.pem')]);
    expect(got.code).toBe(ExitCode.ISSUED);
    expect(await readFile(join(dir, 'r.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('exits 3 when the CA denies (unknown template), with the HRESULT in --json', async () => {
    const sut = await cli([
      'request',
      ...common(),
      '--password',
      PASSWORD,
      '--template',
      'NoSuchTemplate',
      '--csr',
      csrFile,
      '--out',
      join(dir, 'd.pem'),
      '--json',
    ]);
    expect(sut.code).toBe(ExitCode.DENIED);
    expect(JSON.parse(sut.stdout)).toMatchObject({
      status: 'denied',
      code: 'CA_DENIED',
      hresult: '0x80094800',
      hresultName: 'CERTSRV_E_UNSUPPORTED_CERT_TYPE',
    });
  });

  it('exits 4 on a wrong password and does not echo it', async () => {
    const sut = await cli(['request', ...common(), '--password', 'not-the-password', '--template', 'WebServer', '--csr', csrFile, '--out', join(dir, 'x.pem')]);
    expect(sut.code).toBe(ExitCode.AUTH);
    expect(sut.stdout + sut.stderr).not.toContain('not-the-password');
  });

  it('exits 5 when the CA host does not answer within --timeout', async () => {
    const sut = await cli([
      'request',
      ...common(silentPort),
      '--password',
      PASSWORD,
      '--timeout',
      '1',
      '--template',
      'WebServer',
      '--csr',
      csrFile,
      '--out',
      join(dir, 't.pem'),
    ]);
    expect(sut.code).toBe(ExitCode.TRANSPORT);
  });

  it('exits 1 with the usage on bad arguments', async () => {
    expect((await cli(['request', '--target', 'x'])).code).toBe(ExitCode.USAGE);
    expect((await cli(['frobnicate'])).code).toBe(ExitCode.USAGE);
    expect((await cli(['request', ...common(), '--template', 'W', '--csr', csrFile, '--out', 'o'])).stderr).toContain('WCCE_PASSWORD');
  });

  it('runs as the installed bin (node_modules/.bin/wcce) with the same exit code', async () => {
    const bin = join(REPO_ROOT, 'node_modules/.bin/wcce');
    const code = await new Promise<number>((done) =>
      execFile(
        bin,
        ['request', ...common(), '--template', 'WebServer', '--csr', csrFile, '--out', join(dir, 'bin.pem')],
        { env: { ...process.env, WCCE_PASSWORD: PASSWORD } },
        (e) => done(e ? Number((e as { code?: number }).code ?? 1) : 0),
      ),
    );
    expect(code).toBe(0);
  });
});
