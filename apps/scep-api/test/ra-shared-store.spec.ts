/**
 * SCEP_RA_STORE=database: two scep-api instances (in process, each with its own runtime, results
 * consumer and clock) on one Redis and one database, enrolling through the real wcce-worker from
 * the real adcs-sim (built, child processes). They start at once and the CA sees ONE pair of RA
 * requests; both serve the same GetCACert; a request encrypted to one instance's certificates is
 * answered by the other; a renewal one instance performs (injected clock, checkRenewal) is picked
 * up by the other without its own renewal, and requests encrypted before it still open; a built
 * scep-api with another SCEP_RA_KEY_ENCRYPTION_KEY refuses to start, naming the key, never its value.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundPort } from '@enrollgate/platform';
import { openDatabase } from '@enrollgate/store';
import { sql } from 'kysely';
import { scep } from '@enrollgate/pki';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CA_NAME, PASSWORD, USER, admin, startSim, type SimProcess } from '../../../test/support/adcs-sim.js';
import { withDatabases } from '../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { RaService } from '../src/ra/ra.service.js';
import { bootScepApp, migrateTestDatabase } from './support/in-process.js';
import { TestScepClient, type CaCerts } from './support/scep-client.js';
import { runScepApiToExit, startWcceWorker, type WcceWorkerProcess } from './support/stack.js';

const databases = await withDatabases();
const DAY_MS = 86_400_000;
const RA_TEMPLATES = ['CEPEncryption', 'EnrollmentAgentOffline'];

describe.each(databases)('RA identities in the shared database, two scep-api instances, on $name', ({ open }) => {
  let dir: string;
  let sim: SimProcess;
  let redis: TestRedis;
  let worker: WcceWorkerProcess;
  let dbUrl: string;
  let cleanupDb: () => Promise<void>;
  let apps: NestFastifyApplication[] = [];
  let clients: TestScepClient[];
  let offsetMs = 0;
  const kek = randomBytes(32).toString('base64');

  const env = (n: number) => ({
    SCEP_LISTEN: '127.0.0.1:0',
    REDIS_URL: redis.url,
    DATABASE_URL: dbUrl,
    QUEUE_PREFIX: redis.prefix,
    LOG_LEVEL: 'error',
    SCEP_RA_STORE: 'database',
    SCEP_RA_KEY_ENCRYPTION_KEY: kek,
    SCEP_RA_DIR: join(dir, `unused-ra-dir-${n}`),
    // renewals reach the other instance through the recheck on an unknown recipient here, not the timer
    SCEP_RA_STORE_REFRESH_SECONDS: '3600',
    SCEP_RA_STORE_RECHECK_SECONDS: '1',
    SCEP_CHALLENGE_PASSWORD: 'static-secret',
    SCEP_WAIT_SECONDS: '20',
  });

  const boot = async (n: number): Promise<NestFastifyApplication> => (await bootScepApp(env(n), { clock: () => Date.now() + offsetMs })).app;

  const raRequestsAtCa = async (): Promise<string[]> => {
    const { body } = await admin<{ requests: { template?: string }[] }>(sim, 'GET', '/requests');
    return body.requests
      .map((r) => r.template ?? '')
      .filter((t) => RA_TEMPLATES.includes(t))
      .sort();
  };
  /** RA generations the store holds per template (pending or issued): each must be exactly one CA request. */
  const generationsInStore = async (): Promise<string[]> => {
    const db = openDatabase(dbUrl);
    try {
      const { rows } = await sql<{ template: string }>`select template from scep_ra_identities where status in ('pending', 'issued')`.execute(db.db);
      return rows.map((r) => r.template).sort();
    } finally {
      await db.close();
    }
  };
  const ders = (ca: CaCerts) => ca.all.map((c) => Buffer.from(c.der).toString('base64'));
  /** A device (own key, so its own transaction) with a PKCSReq encrypted to `recipient`, posting to instance `n`. */
  const device = async (n: number, cn: string, recipient: CaCerts) => {
    const client = new TestScepClient(clients[n]!.url);
    const der = client.message(scep.MessageType.PKCSReq, await client.csr({ subject: `CN=${cn}`, challenge: 'static-secret' }), recipient.encryption);
    return {
      send: async () => {
        const rep = client.read(new Uint8Array(await (await client.post(der)).arrayBuffer()));
        return { ...rep, reason: rep.status === 'FAILURE' ? rep.failInfoText : undefined };
      },
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-scep-ra-shared-'));
    sim = await startSim();
    redis = await openTestRedis();
    worker = await startWcceWorker({
      redisUrl: redis.url,
      prefix: redis.prefix,
      smbPort: sim.smbPort,
      caName: CA_NAME,
      domain: 'TEST',
      user: USER,
      password: PASSWORD,
      caBundle: sim.caPem,
    });
    const db = await migrateTestDatabase(open);
    dbUrl = db.url;
    cleanupDb = db.cleanup;
    // both at once: their start-up checks race for the same claims
    apps = await Promise.all([boot(0), boot(1)]);
    await Promise.all(apps.map((a) => a.get(RaService).whenReady(60_000)));
    clients = apps.map((a) => new TestScepClient(`http://127.0.0.1:${boundPort(a)}/scep`));
  }, 120_000);

  afterAll(async () => {
    for (const a of apps) await a.close();
    await worker?.stop();
    await sim?.stop();
    await redis?.cleanup();
    await cleanupDb?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('started together, they enroll ONE pair of RA certificates at the CA and serve identical GetCACert', async () => {
    expect(await raRequestsAtCa()).toEqual(RA_TEMPLATES);
    const [a, b] = await Promise.all(clients.map((c) => c.getCaCert()));
    expect(ders(b!)).toEqual(ders(a!));
    expect(a!.all.slice(0, 2).map((c) => c.keyUsages)).toEqual([['digitalSignature'], ['keyEncipherment']]);
  });

  it('a PKCSReq encrypted to the certificates from instance A is answered by instance B with SUCCESS', async () => {
    const fromA = await clients[0]!.getCaCert();
    const rep = await (await device(1, 'shared-ra-a-to-b', fromA)).send();
    expect([rep.status, rep.reason]).toEqual(['SUCCESS', undefined]);
  }, 60_000);

  it('a renewal is claimed by one instance; the other picks the new certificates up; requests encrypted before still open', async () => {
    const [raA, raB] = apps.map((a) => a.get(RaService)) as [RaService, RaService];
    const [clientA, clientB] = clients as [TestScepClient, TestScepClient];
    const before = await clientA.getCaCert();
    const early = await device(1, 'shared-ra-before-renewal', before);

    // 10 days before the RA certificates expire (inside the default 30-day window), both check at once
    offsetMs = before.all[0]!.notAfter.getTime() - Date.now() - 10 * DAY_MS;
    await Promise.all([raA.checkRenewal(), raB.checkRenewal()]);
    // One new generation per usage, enrolled once: an instance that finds the other's renewal
    // adopts it, even though at this offset the renewed certificate is itself due already.
    expect(await raRequestsAtCa()).toEqual([...RA_TEMPLATES, ...RA_TEMPLATES].sort());
    expect(await raRequestsAtCa()).toEqual(await generationsInStore());
    const [a1, b1] = await Promise.all(clients.map((c) => c.getCaCert()));
    expect(ders(b1!)).toEqual(ders(a1!));
    expect(a1!.all[0]!.serialNumber).not.toBe(before.all[0]!.serialNumber);

    // the new certificates are issued for as long as the first: still inside the window at this offset,
    // so A alone renews once more, B does not check, and does not re-read on its timer (an hour here)
    await raA.checkRenewal();
    expect(await raRequestsAtCa()).toHaveLength(6);
    expect(await raRequestsAtCa()).toEqual(await generationsInStore());
    const a2 = await clientA.getCaCert();
    expect(a2.all[1]!.serialNumber).not.toBe(a1!.all[1]!.serialNumber);
    expect(ders(await clientB.getCaCert())).toEqual(ders(a1!));
    // a device that fetched from A encrypts to A's newest certificate and posts to B: B re-reads the store and answers
    const rep = await (await device(1, 'shared-ra-after-renewal', a2)).send();
    expect([rep.status, rep.reason]).toEqual(['SUCCESS', undefined]);
    expect(rep.message.signerCertificate.info?.serialNumber).toBe(a2.all[0]!.serialNumber);
    expect(ders(await clientB.getCaCert())).toEqual(ders(a2));
    // the request encrypted before both renewals still opens (previous encryption key kept)
    const late = await early.send();
    expect([late.status, late.reason]).toEqual(['SUCCESS', undefined]);
    offsetMs = 0;
  }, 120_000);

  it('an instance whose check begins after the other renewed adopts that renewal instead of renewing again', async () => {
    const [raA, raB] = apps.map((a) => a.get(RaService)) as [RaService, RaService];
    const [clientA, clientB] = clients as [TestScepClient, TestScepClient];
    const served = await clientA.getCaCert();
    offsetMs = served.all[0]!.notAfter.getTime() - Date.now() - 10 * DAY_MS;
    const requests = (await raRequestsAtCa()).length;
    await raA.checkRenewal();
    expect(await raRequestsAtCa()).toHaveLength(requests + 2);
    // B still serves the previous generation; the newest is due at this offset too, yet it is A's fresh one.
    expect(ders(await clientB.getCaCert())).toEqual(ders(served));
    await raB.checkRenewal();
    expect(await raRequestsAtCa()).toHaveLength(requests + 2);
    expect(ders(await clientB.getCaCert())).toEqual(ders(await clientA.getCaCert()));
    offsetMs = 0;
  }, 60_000);

  it('a scep-api with another SCEP_RA_KEY_ENCRYPTION_KEY does not start: the error names the key, never a key value', async () => {
    const wrong = randomBytes(32).toString('base64');
    const r = await runScepApiToExit({ ...env(9), SCEP_RA_KEY_ENCRYPTION_KEY: wrong, LOG_LEVEL: 'warn' });
    expect(r.code).toBe(2);
    expect(r.output).toContain('SCEP_RA_KEY_ENCRYPTION_KEY: does not decrypt the RA private keys stored in the database');
    expect(r.output).not.toContain(wrong);
    expect(r.output).not.toContain(kek);
    // and one that is not base64 of 32 bytes is a configuration error before anything is read
    const short = await runScepApiToExit({ ...env(9), SCEP_RA_KEY_ENCRYPTION_KEY: 'c2hvcnQ=' });
    expect(short.code).toBe(2);
    expect(short.output).toContain('SCEP_RA_KEY_ENCRYPTION_KEY: expected base64 of exactly 32 bytes');
    expect(short.output).not.toContain('c2hvcnQ=');
  }, 60_000);
});
