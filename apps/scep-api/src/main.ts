import { bootFrontend, runMain } from '@enrollgate/enrollment';
import { loadScepConfig } from './config.js';

runMain('scep-api', async () => {
  const config = loadScepConfig();
  await bootFrontend({ app: 'scep-api', protocol: 'scep', config, listen: config.SCEP_LISTEN });
});
