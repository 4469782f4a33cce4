import { frontendConfigShape } from '@enrollgate/enrollment';
import { listenAddress, loadConfig, type Env } from '@enrollgate/platform';
import { z } from 'zod';

/** acme-api configuration: environment variable names are the keys. Validated once at start-up. */
export const acmeConfigSchema = z.object({
  ACME_LISTEN: listenAddress('127.0.0.1:4000'),
  ...frontendConfigShape,
});

export type AcmeConfig = z.output<typeof acmeConfigSchema>;

export function loadAcmeConfig(env: Env = process.env): AcmeConfig {
  return loadConfig('acme-api', acmeConfigSchema, env);
}
