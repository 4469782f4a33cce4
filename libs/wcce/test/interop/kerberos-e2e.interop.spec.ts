/**
 * Kerberos end to end: the built adcs-sim accepts tickets issued by the Samba AD DC's KDC with the
 * CA$ keytab the DC exported (`--keytab`, `--kerberos-service host/ca.test.local`, `cifs/…`), and
 * enrolls for a client that holds only a keytab for svc-enroll: an IcprPool with KerberosProvider
 * (what the worker builds for a `use_kerberos` pool), and the `wcce` CLI with `-k --keytab --dc-ip`.
 * The capture of the pool's run (KDC relay + simulator ports) is decoded by tshark with the CA
 * keytab: service tickets, authenticators and the sealed ICPR stubs decrypt; nothing is malformed.
 *
 * Needs the built simulator (npx nx run-many -t build). Run:
 *   ENROLLGATE_TEST_KIND=interop npm run test:unit -- libs/wcce/test/interop/kerberos-e2e
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IcprPool } from '../../src/client/icpr-pool.js';
import { runCli } from '../../src/cli/run.js';
import { KerberosProvider, resetKerberosTicketManagers } from '../../src/kerberos/provider.js';
import { EnrollmentProducer, ResultsConsumer } from '@enrollgate/enrollment';
import { EnrollmentRepository, migrateToLatest, openDatabase } from '@enrollgate/store';
import { CA_NAME, REPO_ROOT, builtSimulatorAvailable, makeCsr, opensslCheck, startSim, type SimProcess } from '../../../../test/support/adcs-sim.js';
import { sqliteTestDatabase } from '../../../../test/support/databases.js';
import { openTestRedis } from '../../../../test/support/redis.js';
import { startAdDc, stopAdDc, type AdDc } from './kerberos-ad-peer.js';

const ICPR_UUID = '91ae6020-9e3c-11cf-8d7c-00aa00c091be';

let dc: AdDc | undefined;
let sim: SimProcess | undefined;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'enrollgate-krb-e2e-'));
  if (!builtSimulatorAvailable()) {
    if (process.env['CI'] === 'true') throw new Error('apps/adcs-sim/dist is missing: build first');
    console.warn('SKIPPED Kerberos end to end: build the simulator first (npx nx run-many -t build)');
    return;
  }
  const started = startAdDc();
  if ('skipped' in started) {
    console.warn(`SKIPPED Kerberos end to end: ${started.skipped}`);
    return;
  }
  dc = started;
  sim = await startSim(['--keytab', dc.caKeytab, '--kerberos-service', `host/${dc.caFqdn}`, '--kerberos-service', `cifs/${dc.caFqdn}`]);
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  stopAdDc(dc);
  if (process.env['KEEP_PCAP']) console.warn(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}, 60_000);

/** tshark on lo for several TCP ports (KDC relay and simulator), stopped by its PID. */
async function capture(ports: number[], file: string): Promise<{ stop: () => Promise<void> }> {
  const child: ChildProcess = spawn('tshark', ['-i', 'lo', '-f', ports.map((p) => `tcp port ${p}`).join(' or '), '-w', file, '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((ok, fail) => {
    let err = '';
    const timer = setTimeout(() => fail(new Error(`tshark did not start: ${err}`)), 15_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Capture started/.test(err)) {
        clearTimeout(timer);
        setTimeout(ok, 500);
      }
    });
    void exited.then(() => fail(new Error(`tshark exited: ${err}`)));
  });
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 500));
      if (child.exitCode === null) process.kill(child.pid!, 'SIGINT');
      await exited;
    },
  };
}

/** `wcce request -k` with the user keytab and the KDC relay, for the simulator under `serverName`'s SPN. */
function keytabRequestArgs(serverName: string, csrFile: string, out: string): string[] {
  if (!sim || !dc) throw new Error('simulator and DC not started');
  const kdc = `${dc.kdc.host}:${dc.kdc.port}`;
  const target = `127.0.0.1:${sim.smbPort}`;
  return [
    'request',
    '--target',
    target,
    '--server-name',
    serverName,
    '-k',
    '--user',
    `${dc.user}@${dc.realm}`,
    '--keytab',
    dc.userKeytab,
    '--dc-ip',
    kdc,
    '--ca',
    CA_NAME,
    '--template',
    'WebServer',
    '--csr',
    csrFile,
    '--out',
    out,
  ];
}

describe('adcs-sim with a keytab from the Samba AD DC', () => {
  it('announces the Kerberos services it accepts', () => {
    if (!sim || !dc) return;
    const line = sim.logs.find((l) => l.includes('adcs-sim listening'))!;
    expect(JSON.parse(line)).toMatchObject({ kerberos: [`host/${dc.caFqdn}@${dc.realm}`, `cifs/${dc.caFqdn}@${dc.realm}`] });
  });

  it('IcprPool + KerberosProvider with only a user keytab enrolls (sealed ICPR over SPNEGO/Kerberos); tshark decrypts it with the CA keytab', async () => {
    if (!sim || !dc) return;
    resetKerberosTicketManagers();
    const file = join(work, 'krb-e2e.pcap');
    const cap = await capture([dc.kdc.port, sim.smbPort], file);
    const provider = new KerberosProvider({ kind: 'kerberos', principal: `${dc.user}@${dc.realm}`, keytabPath: dc.userKeytab }, { kdcs: [dc.kdc] });
    const pool = new IcprPool({ provider, timeoutMs: 10_000 });
    const csr = await makeCsr('krb-e2e.test.local');
    let certificate: Buffer;
    try {
      const result = await pool.submit(
        { host: '127.0.0.1', port: sim.smbPort, serverName: dc.caFqdn, caName: CA_NAME },
        { template: 'WebServer', csrDer: Buffer.from(csr.der) },
      );
      expect(result.status).toBe('issued');
      if (result.status !== 'issued') return;
      certificate = result.certificate;
      // a second call reuses the pooled association and the cached tickets
      const again = await pool.submit(
        { host: '127.0.0.1', port: sim.smbPort, serverName: dc.caFqdn, caName: CA_NAME },
        { template: 'WebServer', csrDer: Buffer.from(csr.der) },
      );
      expect(again.status).toBe('issued');
    } finally {
      await pool.close();
      await cap.stop();
    }
    const report = await opensslCheck(sim.caPem, certificate, work);
    expect(report.verified).toBe(true);
    // the requester the CA recorded is the Kerberos client principal from the ticket
    expect(provider.tickets.expiries().map((e) => e.server)).toEqual(
      expect.arrayContaining([`cifs/${dc.caFqdn}@${dc.realm}`, `host/${dc.caFqdn}@${dc.realm}`]),
    );

    const base = [
      '-r',
      file,
      '-2',
      '-d',
      `tcp.port==${sim.smbPort},nbss`,
      '-d',
      `tcp.port==${dc.kdc.port},kerberos`,
      '-o',
      'kerberos.decrypt:TRUE',
      '-o',
      `kerberos.file:${dc.caKeytab}`,
    ];
    const verbose = execFileSync('tshark', [...base, '-V'], { maxBuffer: 128 << 20 }).toString();
    // CA$ has one key for host/ and cifs/ (same account, same salt): tshark names the first keytab
    // principal for both tickets. Both service tickets (TGS-REP, then in the SMB and bind AP-REQs) decrypt.
    const ticketLines = verbose
      .split('\n')
      .filter((l) => /^\s*Decrypted keytype 18 usage 2 using keytab principal (host|cifs)\/ca\.test\.local@TEST\.LOCAL/.test(l));
    expect(ticketLines.length).toBeGreaterThanOrEqual(4);
    expect(verbose).toMatch(/Decrypted keytype 18 usage 11 using learnt encTicketPart_key/); // authenticators
    expect(verbose).toMatch(/Decrypted keytype 18 usage 12 using learnt encTicketPart_key/); // DCE-style AP-REPs
    const malformed = execFileSync('tshark', [...base, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number'])
      .toString()
      .trim();
    expect(malformed).toBe('');
    const rows = execFileSync('tshark', [
      ...base,
      '-Y',
      'dcerpc',
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-E',
      'occurrence=f',
      '-e',
      'dcerpc.pkt_type',
      '-e',
      'dcerpc.cn_bind_to_uuid',
      '-e',
      'dcerpc.auth_type',
      '-e',
      'dcerpc.auth_level',
      '-e',
      'dcerpc.decrypted_stub_data',
    ])
      .toString()
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    expect(rows.some(([type, uuid, authType]) => type === '11' && uuid === ICPR_UUID && authType === '9')).toBe(true);
    const requests = rows.filter(([type]) => type === '0');
    expect(requests.length).toBe(2);
    // PKT_PRIVACY requests and responses, every stub decrypted by tshark with the keys from the keytab
    const calls = rows.filter(([type]) => type === '0' || type === '2');
    expect(calls.every(([, , , level, decrypted]) => level === '6' && (decrypted ?? '') !== '')).toBe(true);
  }, 90_000);

  it('the wcce-worker process with use_kerberos and a keytab enrolls a queued request end to end', async () => {
    if (!sim || !dc) return;
    const redis = await openTestRedis();
    const db = await sqliteTestDatabase.open();
    const store = openDatabase(db.url);
    await migrateToLatest(store);
    const repo = new EnrollmentRepository(store);
    const producer = new EnrollmentProducer(repo, { connection: redis.client, prefix: redis.prefix });
    const consumer = new ResultsConsumer(repo, { protocol: 'acme', connection: redis.client, prefix: redis.prefix });
    const worker = spawn(process.execPath, [join(REPO_ROOT, 'apps/wcce-worker/dist/main.js')], {
      env: {
        PATH: process.env['PATH'] ?? '',
        REDIS_URL: redis.url,
        QUEUE_PREFIX: redis.prefix,
        WORKER_LISTEN: '127.0.0.1:0',
        WCCE_HOST: `127.0.0.1:${sim.smbPort}`,
        WCCE_SERVER_NAME: dc.caFqdn,
        WCCE_CA_NAME: CA_NAME,
        WCCE_USE_KERBEROS: 'true',
        WCCE_KRB5_PRINCIPAL: `${dc.user}@${dc.realm}`,
        WCCE_KRB5_KEYTAB: dc.userKeytab,
        WCCE_DOMAIN_CONTROLLER: `${dc.kdc.host}:${dc.kdc.port}`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr: string[] = [];
    worker.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    try {
      const csr = await makeCsr('krb-worker.test.local');
      await producer.submit({
        requestKey: 'krb-worker-1',
        protocol: 'acme',
        csr: Buffer.from(csr.der).toString('base64'),
        template: 'WebServer',
        requester: { protocol: 'acme', subject: 'acct-krb' },
        submittedAt: new Date().toISOString(),
      });
      const deadline = Date.now() + 60_000;
      let e = await repo.get('acme', 'krb-worker-1');
      while (e?.status === 'queued' && Date.now() < deadline && worker.exitCode === null) {
        await new Promise((r) => setTimeout(r, 200));
        e = await repo.get('acme', 'krb-worker-1');
      }
      expect({ status: e?.status, error: e?.error, workerStderr: stderr.join('') }).toEqual({ status: 'issued', error: null, workerStderr: '' });
      const report = await opensslCheck(sim.caPem, Buffer.from(e!.certificate as string, 'base64'), work);
      expect(report.verified).toBe(true);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
      await consumer.close();
      await producer.close();
      await store.close();
      await db.cleanup();
      await redis.cleanup();
    }
  }, 120_000);

  it('the wcce CLI with -k --keytab --dc-ip enrolls and writes the certificate', async () => {
    if (!sim || !dc) return;
    resetKerberosTicketManagers();
    const csr = await makeCsr('krb-cli.test.local');
    const csrFile = join(work, 'cli.csr');
    writeFileSync(csrFile, csr.pem);
    const out = join(work, 'cli.pem');
    const stdout: string[] = [];
    const stderr: string[] = [];
    const args = keytabRequestArgs(dc.caFqdn, csrFile, out);
    const code = await runCli(args, { stdout: (s) => stdout.push(s), stderr: (s) => stderr.push(s), env: {} });
    expect({ code, stderr: stderr.join('') }).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  }, 60_000);

  it('the wcce CLI with -k and an MIT ccache (KRB5CCNAME) enrolls too', async () => {
    if (!sim || !dc) return;
    resetKerberosTicketManagers();
    const csr = await makeCsr('krb-ccache.test.local');
    const csrFile = join(work, 'cc.csr');
    writeFileSync(csrFile, csr.pem);
    const out = join(work, 'cc.pem');
    const stderr: string[] = [];
    const args = [
      'request',
      '--target',
      `127.0.0.1:${sim.smbPort}`,
      '--server-name',
      dc.caFqdn,
      '-k',
      '--user',
      dc.user,
      '--domain',
      dc.realm.toLowerCase(),
      '--kdc',
      `${dc.kdc.host}:${dc.kdc.port}`,
      '--ca',
      CA_NAME,
      '--template',
      'WebServer',
      '--csr',
      csrFile,
      '--out',
      out,
    ];
    const code = await runCli(args, { stdout: () => undefined, stderr: (s) => stderr.push(s), env: { KRB5CCNAME: `FILE:${dc.userCcache}` } });
    expect({ code, stderr: stderr.join('') }).toEqual({ code: 0, stderr: '' });
  }, 60_000);

  it('a ticket for a service the simulator has no key for is refused: AUTH_FAILED, exit 4', async () => {
    if (!sim || !dc) return;
    resetKerberosTicketManagers();
    const csrFile = join(work, 'x.csr');
    writeFileSync(csrFile, (await makeCsr('x.test.local')).pem);
    // dc1.test.local is a real SPN in the realm, but the simulator only holds ca.test.local's keys
    const args = keytabRequestArgs(dc.dcFqdn, csrFile, join(work, 'x.pem'));
    const code = await runCli(args, { stdout: () => undefined, stderr: () => undefined, env: {} });
    expect(code).toBe(4);
  }, 60_000);
});
