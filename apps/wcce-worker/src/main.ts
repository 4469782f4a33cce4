import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { HealthRegistry, Metrics, PlatformModule, createLogger, createRedis, pingRedis, runMain, startHttpApp } from '@enrollgate/platform';
import { KerberosProvider, NtlmProvider, locateKdcs, readKrb5Conf, type KdcAddress, type SecurityProvider } from '@enrollgate/wcce';
import { CaRouter } from './ca/ca-router.js';
import { CredentialGuard } from './ca/credential-guard.js';
import { IcprCaClient } from './ca/icpr-ca-client.js';
import { enrollmentConfigLog, loadPools, loadWorkerConfig, type PoolConfig } from './config.js';

/**
 * The pool's security provider: NTLM, or (`use_kerberos`) Kerberos with a password, a keytab or a
 * ccache. KDCs: `domain_controller`, else the realm's `kdc` lines in `krb5_config`, else DNS SRV
 * `_kerberos._tcp.REALM` (at `dns_server` when set). Tickets are acquired lazily on the first call.
 */
async function providerFor(pool: PoolConfig): Promise<SecurityProvider> {
  const k = pool.kerberos;
  if (!k) return new NtlmProvider({ kind: 'ntlm', domain: pool.domain, user: pool.user, password: pool.password?.reveal() ?? '' });
  let kdcs: KdcAddress[] | undefined;
  if (k.domainControllers.length === 0 && k.krb5Config) kdcs = (await readKrb5Conf(k.krb5Config)).kdcs.get(k.realm);
  kdcs ??= await locateKdcs(k.realm, { domainControllers: k.domainControllers, ...(k.dnsServer ? { dnsServer: k.dnsServer } : {}) });
  const timeoutMs = pool.timeoutSeconds * 1000;
  return new KerberosProvider(
    {
      kind: 'kerberos',
      principal: k.principal,
      realm: k.realm,
      ...(k.keytab ? { keytabPath: k.keytab } : k.ccache ? { ccachePath: k.ccache.replace(/^FILE:/, '') } : { password: pool.password?.reveal() ?? '' }),
    },
    { kdcs, timeoutMs },
  );
}
import { EnrollProcessor } from './enroll/enroll.processor.js';
import { EnrollWorker, QueueResultPublisher } from './enroll/enroll.worker.js';
import { PendingPoller, PendingScheduler } from './pending/pending.scheduler.js';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const { pools, templates } = loadPools(config);
  const logger = createLogger({ app: 'wcce-worker', level: config.LOG_LEVEL });
  const metrics = new Metrics('wcce-worker');
  const health = new HealthRegistry();
  const redis = createRedis(config.REDIS_URL, { connectionName: 'enrollgate-wcce-worker' });
  health.register('redis', () => pingRedis(redis));

  const providers = await Promise.all(pools.map((pool) => providerFor(pool)));
  const ticketExpiry = metrics.gauge('kerberos_ticket_expiry_seconds', 'Seconds until each cached Kerberos ticket expires (renewed before it does)', [
    'pool',
    'server',
  ]);
  const router = new CaRouter(
    pools.map((pool, i) => {
      const provider = providers[i]!;
      if (provider instanceof KerberosProvider) {
        const tickets = provider.tickets;
        const refresh = (): void => {
          for (const t of tickets.expiries()) ticketExpiry.set({ pool: pool.name, server: t.server }, Math.round((t.endtime.getTime() - Date.now()) / 1000));
        };
        setInterval(refresh, 15_000).unref();
      }
      const timeoutMs = pool.timeoutSeconds * 1000;
      const client = new IcprCaClient({
        name: pool.name,
        targets: pool.targets,
        pool: {
          provider,
          connectTimeoutMs: timeoutMs,
          timeoutMs,
          callDeadlineMs: config.WCCE_CALL_DEADLINE * 1000,
          maxConnectionsPerTarget: config.WCCE_MAX_CONNECTIONS_PER_HOST,
        },
        breaker: { failureThreshold: config.WCCE_CIRCUIT_FAILURES, openMs: config.WCCE_CIRCUIT_OPEN_SECONDS * 1000 },
        credential: new CredentialGuard(
          redis,
          config.QUEUE_PREFIX,
          provider.cacheKey,
          pool.kerberos ? `${pool.kerberos.principal}@${pool.kerberos.realm}` : `${pool.domain}\\${pool.user}`,
          logger,
          metrics,
        ),
        configLog: config.WCCE_ENROLLMENT_CONFIG_LOG ? enrollmentConfigLog(pool, config.WCCE_ENROLLMENT_CONFIG_LOG_SKIP_LIST) : undefined,
        logger: logger.child({ component: 'icpr', pool: pool.name }),
        metrics,
      });
      return {
        name: pool.name,
        client,
        holds: (ref: { host: string; caName: string }) => pool.targets.some((t) => t.host === ref.host && t.caName === ref.caName),
        caNames: pool.targets.map((t) => t.caName),
      };
    }),
    templates,
  );

  const publisher = new QueueResultPublisher(redis, config.QUEUE_PREFIX);
  const pendingOptions = {
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    initialIntervalMs: config.PENDING_POLL_INITIAL_SECONDS * 1000,
    maxIntervalMs: config.PENDING_POLL_MAX_SECONDS * 1000,
    maxAgeMs: config.PENDING_MAX_AGE_HOURS * 3600_000,
  };
  const scheduler = new PendingScheduler(pendingOptions);
  const poller = new PendingPoller(router, scheduler, publisher, logger.child({ component: 'pending' }), metrics, pendingOptions);
  const processor = new EnrollProcessor(router, publisher, logger, metrics, { maxAgeMs: config.ENROLL_MAX_AGE_HOURS * 3600_000, pending: scheduler });
  const worker = new EnrollWorker(processor, {
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDurationMs: config.WORKER_LOCK_SECONDS * 1000,
    logger,
  });
  logger.info(
    {
      pools: pools.map((p) => ({
        name: p.name,
        targets: p.targets.map((t) => `${t.host}:${t.port}/${t.caName}`),
        user: p.kerberos ? `${p.kerberos.principal}@${p.kerberos.realm}` : `${p.domain}\\${p.user}`,
        auth: p.kerberos ? 'kerberos' : 'ntlm',
      })),
      templates,
      concurrency: config.WORKER_CONCURRENCY,
    },
    'wcce-worker consuming the enroll queue',
  );

  @Module({ imports: [PlatformModule.forRoot({ logger, metrics, health })] })
  class WorkerModule {
    async onModuleDestroy(): Promise<void> {
      // Stop taking work, let in-flight CA calls finish (bounded), then close connections.
      await Promise.all([worker.close(), poller.close()]);
      await Promise.all([publisher.close(), scheduler.close(), router.close()]);
      redis.disconnect();
    }
  }

  await startHttpApp(WorkerModule, { logger, health, listen: config.WORKER_LISTEN, shutdownTimeoutMs: 20000 });
}

runMain('wcce-worker', main);
