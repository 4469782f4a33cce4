import { bootFrontend, runMain } from '@enrollgate/enrollment';
import { loadAcmeConfig } from './config.js';

runMain('acme-api', async () => {
  const config = loadAcmeConfig();
  await bootFrontend({ app: 'acme-api', protocol: 'acme', config, listen: config.ACME_LISTEN });
});
