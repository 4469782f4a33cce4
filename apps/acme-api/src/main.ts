import { readFileSync } from 'node:fs';
import { bootFrontend } from '@enrollgate/enrollment';
import { runMain } from '@enrollgate/platform';
import { AcmeModule, acmeRewriteUrl, configureAcmeHttp } from './acme.module.js';
import { loadAcmeConfig } from './config.js';

runMain('acme-api', async () => {
  const config = loadAcmeConfig();
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
    imports: [AcmeModule.forRoot(config)],
    configure: (app) => configureAcmeHttp(app),
    ...(https ? { https } : {}),
    ...(rewriteUrl ? { rewriteUrl } : {}),
  });
});
