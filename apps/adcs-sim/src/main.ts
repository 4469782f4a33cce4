/**
 * adcs-sim: a simulated AD CS that speaks MS-ICPR over SMB2/3 named pipes (`\PIPE\cert`) with
 * NTLM and DCE/RPC packet privacy, backed by a local CA in the state directory, plus an admin
 * HTTP API (certificate manager actions, faults, health, metrics). See SIM_USAGE in cli.ts.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { HealthRegistry, Metrics, PlatformModule, boundPort, createLogger, runMain, startHttpApp } from '@enrollgate/platform';
import { AccountStore } from './accounts.js';
import { AdminModule } from './admin/admin.module.js';
import { CA_ENGINE, FAULT_PLAN, STATE_DIR } from './admin/tokens.js';
import { SimCaEngine } from './ca/index.js';
import { parseSimArgs } from './cli.js';
import { FaultPlan } from './faults.js';
import { IcprService } from './icpr-service.js';
import { SimMetrics } from './sim-metrics.js';
import { SmbEndpoint } from './smb-endpoint.js';
import { loadServiceKeys, servicePrincipals } from './kerberos-keys.js';

async function main(): Promise<void> {
  const options = parseSimArgs(process.argv.slice(2));
  const logger = createLogger({ app: 'adcs-sim', level: options.logLevel });
  const metrics = new Metrics('adcs-sim');
  const health = new HealthRegistry();

  const engine = await SimCaEngine.open({
    stateDir: options.stateDir,
    caName: options.caName,
    caKey: options.caKey === 'p256' ? 'p256' : 'rsa2048',
    intermediate: options.intermediate,
    ...(options.templatesFile !== undefined ? { templatesFile: options.templatesFile } : {}),
  });
  const faults = new FaultPlan(options.faults, options.failFirst);
  const accounts = new AccountStore(options.users);
  const icpr = new IcprService({ ca: engine, faults, metrics: new SimMetrics(metrics), logger: logger.child({ component: 'icpr' }) });
  const kerberosKeys = options.keytab ? await loadServiceKeys(options.keytab, options.kerberosServices) : undefined;
  const smb = new SmbEndpoint({
    host: options.listen.host,
    port: options.listen.port,
    domain: options.domain,
    accounts,
    icpr,
    encrypt: options.encrypt,
    ...(kerberosKeys ? { kerberosKeys } : {}),
    logger,
  });
  const smbAddress = await smb.listen();
  health.register('smb', async () => {
    if (!smb.listening) throw new Error('SMB endpoint is not listening');
  });

  @Module({
    imports: [
      PlatformModule.forRoot({
        logger,
        metrics,
        health,
        providers: [
          { provide: CA_ENGINE, useValue: engine },
          { provide: FAULT_PLAN, useValue: faults },
          { provide: STATE_DIR, useValue: options.stateDir },
        ],
      }),
      AdminModule,
    ],
  })
  class SimModule {
    /** Graceful shutdown: stop taking SMB connections (held calls are released), then flush the CA database. */
    async onModuleDestroy(): Promise<void> {
      await smb.close();
      await engine.close();
    }
  }

  const app = await startHttpApp(SimModule, { logger, health, listen: options.adminListen, shutdownTimeoutMs: 10000 });
  logger.info(
    {
      smb: `${smbAddress.address}:${smbAddress.port}`,
      admin: `${options.adminListen.host}:${boundPort(app)}`,
      caName: engine.caName,
      domain: options.domain,
      users: accounts.names,
      caPem: join(options.stateDir, 'ca.pem'),
      encrypt: options.encrypt,
      kerberos: kerberosKeys ? servicePrincipals(kerberosKeys) : [],
      faults: faults.snapshot().faults.concat(options.failFirst > 0 ? [`fail-first=${options.failFirst}`] : []),
      templates: engine.templates.names(),
    },
    'adcs-sim listening',
  );
}

runMain('adcs-sim', main);
