/**
 * The ACME server in-process for integration specs: real Redis (own prefix), a real database
 * (SQLite or PostgreSQL, migrated), the Nest app from bootFrontend on a free port, a fake CA
 * worker on the `enroll` queue, a DNS server answering 127.0.0.1 and an http-01 responder.
 */
import { createServer, type Server } from 'node:http';
import { bootFrontend, type FrontendRuntime } from '@enrollgate/enrollment';
import { boundPort } from '@enrollgate/platform';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenedTestDatabase, TestDatabase } from '../../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../../test/support/redis.js';
import { AcmeModule, acmeRewriteUrl, configureAcmeHttp } from '../../src/acme.module.js';
import { loadAcmeConfig } from '../../src/config.js';
import { TestDnsServer } from './dns-server.js';
import { FakeCaWorker } from './fake-ca-worker.js';

/** Serves /.well-known/acme-challenge/<token> from a map (the client's side of http-01). */
export class Http01Responder {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly tokens: Map<string, string>,
  ) {}

  static async start(): Promise<Http01Responder> {
    const tokens = new Map<string, string>();
    const server = createServer((req, res) => {
      const token = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1];
      const value = token ? tokens.get(token) : undefined;
      res.writeHead(value ? 200 : 404, { 'content-type': 'text/plain' }).end(value ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return new Http01Responder(server, typeof address === 'object' && address ? address.port : 0, tokens);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface AcmeStack {
  baseUrl: string;
  directoryUrl: string;
  app: NestFastifyApplication;
  runtime: FrontendRuntime;
  ca: FakeCaWorker;
  dns: TestDnsServer;
  http01: Http01Responder;
  redis: TestRedis;
  /** The database the server uses (its own file or schema). */
  databaseUrl: string;
  /** Another acme-api on the same database, Redis and queues (a second replica); closed with the stack. */
  replica(): Promise<{ origin: string; app: NestFastifyApplication }>;
  close(): Promise<void>;
}

export async function startAcmeStack(database: TestDatabase, env: Record<string, string> = {}): Promise<AcmeStack> {
  const db: OpenedTestDatabase = await database.open();
  const handle = openDatabase(db.url);
  await migrateToLatest(handle);
  await handle.close();
  const redis = await openTestRedis();
  const dns = await TestDnsServer.start();
  const http01 = await Http01Responder.start();
  const ca = await FakeCaWorker.start(redis.client, redis.prefix);
  const config = loadAcmeConfig({
    ACME_LISTEN: '127.0.0.1:0',
    REDIS_URL: redis.url,
    DATABASE_URL: db.url,
    QUEUE_PREFIX: redis.prefix,
    LOG_LEVEL: process.env['ACME_TEST_LOG_LEVEL'] ?? 'fatal',
    ACME_DNS_SERVERS: dns.address,
    ACME_HTTP01_PORT: String(http01.port),
    ACME_VALIDATION_ATTEMPTS: '1',
    ACME_VALIDATION_TIMEOUT_SECONDS: '5',
    ACME_PUBLIC_URL: 'http://acme.test.invalid:4000',
    ...env,
  });
  // The public URL's host need not resolve: tests connect to the bound port and sign the public URL.
  const boot = () =>
    bootFrontend({
      app: 'acme-api-test',
      protocol: 'acme',
      config,
      listen: config.ACME_LISTEN,
      imports: [AcmeModule.forRoot(config)],
      configure: (a) => configureAcmeHttp(a),
      rewriteUrl: acmeRewriteUrl(config),
    });
  const { app, runtime } = await boot();
  const replicas: NestFastifyApplication[] = [];
  const port = boundPort(app);
  const publicBase = (config.ACME_PUBLIC_URL as string).replace(/\/+$/, '');
  return {
    baseUrl: publicBase,
    directoryUrl: `http://127.0.0.1:${port}/directory`,
    app,
    runtime,
    ca,
    dns,
    http01,
    redis,
    databaseUrl: db.url,
    async replica() {
      const other = (await boot()).app;
      replicas.push(other);
      return { origin: `http://127.0.0.1:${boundPort(other)}`, app: other };
    },
    async close() {
      for (const r of replicas) await r.close();
      await app.close();
      await ca.close();
      await http01.close();
      await dns.close();
      await redis.cleanup();
      await db.cleanup();
    },
  };
}
