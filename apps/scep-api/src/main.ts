import { bootFrontend } from '@enrollgate/enrollment';
import { runMain } from '@enrollgate/platform';
import { loadScepConfig } from './config.js';
import { ScepModule, configureScep } from './scep.module.js';

runMain('scep-api', async () => {
  const config = loadScepConfig();
  await bootFrontend({
    app: 'scep-api',
    protocol: 'scep',
    config,
    listen: config.SCEP_LISTEN,
    imports: [ScepModule.forRoot(config)],
    configure: (app) => configureScep(app, config),
  });
});
