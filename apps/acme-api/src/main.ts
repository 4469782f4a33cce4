import { readFileSync } from 'node:fs';
import { bootFrontend } from '@enrollgate/enrollment';
import { createLogger, runMain } from '@enrollgate/platform';
import { AcmeModule, acmeRewriteUrl, configureAcmeHttp } from './acme.module.js';
import { loadAcmeConfig } from './config.js';
import { openAcmePolicy } from './policy/open-acme-policy.js';

runMain('acme-api', async () => {
  const config = loadAcmeConfig();
  const logger = createLogger({ app: 'acme-api', level: config.LOG_LEVEL });
  // Before anything connects: a bad policy or EAB key file exits 2 with the library's message.
  const policy = openAcmePolicy(config, logger.child({ component: 'acme-policy' }));
  const https =
    config.ACME_TLS_CERT_FILE && config.ACME_TLS_KEY_FILE
      ? { cert: readFileSync(config.ACME_TLS_CERT_FILE), key: readFileSync(config.ACME_TLS_KEY_FILE) }
      : undefined;
  const rewriteUrl = acmeRewriteUrl(config);
  await bootFrontend({
    app: 'acme-api',
    protocol: 'acme',
    config,
    listen: config.ACME_LISTEN,
    logger,
    imports: [AcmeModule.forRoot(config, policy)],
    configure: (app) => configureAcmeHttp(app),
    ...(https ? { https } : {}),
    ...(rewriteUrl ? { rewriteUrl } : {}),
  });
});
