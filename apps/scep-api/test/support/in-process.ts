/**
 * scep-api in process for integration tests: a temp directory, a migrated test database (SQLite or
 * PostgreSQL, from test/support/databases.ts), real Redis under a fresh prefix, the stand-in CA
 * worker on the real queues, and the app booted as main.ts boots it, with its RA enrolled.
 *
 *   let scep: InProcessScep;
 *   beforeAll(async () => { scep = await startInProcessScep({ open, admin: { user: 'fleet', password: 'pw' } }); });
 *   afterAll(() => scep?.close());
 *
 * The pieces are exported for tests that assemble their own (migrateTestDatabase, bootScepApp).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootFrontend, type FrontendRuntime } from '@enrollgate/enrollment';
import { boundPort } from '@enrollgate/platform';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenedTestDatabase } from '../../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../../test/support/redis.js';
import { loadScepConfig } from '../../src/config.js';
import { RaService } from '../../src/ra/ra.service.js';
import { ScepModule, configureScep } from '../../src/scep.module.js';
import { FakeCaWorker } from './fake-ca-worker.js';
import { TestScepClient, type CaCerts, type ClientOptions } from './scep-client.js';

/** The Windows path: /certsrv/mscep/mscep.dll with the /pkiclient.exe Windows appends. */
export const MSCEP_PATH = '/certsrv/mscep/mscep.dll/pkiclient.exe';

/** `Basic base64(user:password)`. */
export const basicAuth = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

/** Opens a test database and brings it to the latest migration (its connection closed again). */
export async function migrateTestDatabase(open: () => Promise<OpenedTestDatabase>): Promise<OpenedTestDatabase> {
  const db = await open();
  const handle = openDatabase(db.url);
  try {
    await migrateToLatest(handle);
  } finally {
    await handle.close();
  }
  return db;
}

/** loadScepConfig(env), then the app booted and listening as main.ts does it; `clock` replaces Date.now for the RA. */
export async function bootScepApp(
  env: Record<string, string>,
  options: { clock?: () => number } = {},
): Promise<{ app: NestFastifyApplication; runtime: FrontendRuntime }> {
  const config = loadScepConfig(env);
  const { app, runtime } = await bootFrontend({
    app: 'scep-api',
    protocol: 'scep',
    config,
    listen: config.SCEP_LISTEN,
    imports: [ScepModule.forRoot(config, options)],
    configure: (a) => configureScep(a, config),
  });
  return { app, runtime };
}

export interface InProcessScepOptions {
  /** From withDatabases(): a fresh SQLite file or PostgreSQL schema. */
  open: () => Promise<OpenedTestDatabase>;
  /** Prefix of the temp directory's name. */
  dirPrefix?: string;
  /** Written into the temp directory before the config is read: name → content. */
  files?: Record<string, string>;
  /** More SCEP_* settings, over the common ones (listen on a free port, Redis, database, queue prefix, SCEP_RA_DIR=<dir>/ra). */
  env?: (dir: string) => Record<string, string>;
  /** SCEP_ADMIN_USER / SCEP_ADMIN_PASSWORD, and the Basic header `admin` and mintChallenge() use. */
  admin?: { user: string; password: string };
  /** The RA's clock (ScepModule.forRoot's `clock`). */
  clock?: () => number;
  /** Where to fetch GetCACert for `ca` once the RA is ready (default MSCEP_PATH); false: not fetched. */
  caPath?: string | false;
}

export interface InProcessScep {
  dir: string;
  redis: TestRedis;
  worker: FakeCaWorker;
  app: NestFastifyApplication;
  runtime: FrontendRuntime;
  port: number;
  /** http://127.0.0.1:<port> */
  base: string;
  /** GetCACert from `caPath` (reading it with caPath false throws). */
  readonly ca: CaCerts;
  /** The Basic authorization header of `admin`. */
  admin: string;
  /** A fresh client (own key) posting to `${base}${path}`. */
  client(path?: string, options?: ClientOptions): TestScepClient;
  /** A one-time challenge from POST /api/scep/challenges (201 expected) as `admin`. */
  mintChallenge(body?: object): Promise<string>;
  /** Closes the app, the worker, Redis, the database and the temp directory, in that order. */
  close(): Promise<void>;
}

export async function startInProcessScep(options: InProcessScepOptions): Promise<InProcessScep> {
  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix ?? 'eg-scep-'));
  let db: OpenedTestDatabase | undefined;
  let redis: TestRedis | undefined;
  let worker: FakeCaWorker | undefined;
  let app: NestFastifyApplication | undefined;
  const close = async () => {
    await app?.close();
    await worker?.close();
    await redis?.cleanup();
    await db?.cleanup();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    db = await migrateTestDatabase(options.open);
    redis = await openTestRedis();
    worker = await FakeCaWorker.start(redis.url, redis.prefix);
    for (const [name, content] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), content);
    const booted = await bootScepApp(
      {
        SCEP_LISTEN: '127.0.0.1:0',
        REDIS_URL: redis.url,
        DATABASE_URL: db.url,
        QUEUE_PREFIX: redis.prefix,
        LOG_LEVEL: 'error',
        SCEP_RA_DIR: join(dir, 'ra'),
        ...(options.admin ? { SCEP_ADMIN_USER: options.admin.user, SCEP_ADMIN_PASSWORD: options.admin.password } : {}),
        ...options.env?.(dir),
      },
      options.clock ? { clock: options.clock } : {},
    );
    app = booted.app;
    await app.get(RaService).whenReady(30_000);
    const port = boundPort(app);
    const base = `http://127.0.0.1:${port}`;
    const caPath = options.caPath ?? MSCEP_PATH;
    const ca = caPath === false ? undefined : await new TestScepClient(`${base}${caPath}`).getCaCert();
    const admin = options.admin ? basicAuth(options.admin.user, options.admin.password) : '';
    return {
      dir,
      redis,
      worker,
      app,
      runtime: booted.runtime,
      port,
      base,
      get ca() {
        if (!ca) throw new Error('startInProcessScep: GetCACert not fetched (caPath: false)');
        return ca;
      },
      admin,
      client: (path = MSCEP_PATH, clientOptions = {}) => new TestScepClient(`${base}${path}`, clientOptions),
      mintChallenge: async (body: object = {}) => {
        const r = await fetch(`${base}/api/scep/challenges`, {
          method: 'POST',
          headers: { authorization: admin, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(r.status).toBe(201);
        return ((await r.json()) as { challenge: string }).challenge;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
