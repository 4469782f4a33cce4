import { frontendConfigShape } from '@enrollgate/enrollment';
import { listenAddress, loadConfig, type Env } from '@enrollgate/platform';
import { z } from 'zod';

/** scep-api configuration: environment variable names are the keys. Validated once at start-up. */
export const scepConfigSchema = z.object({
  SCEP_LISTEN: listenAddress('127.0.0.1:4100'),
  ...frontendConfigShape,
});

export type ScepConfig = z.output<typeof scepConfigSchema>;

export function loadScepConfig(env: Env = process.env): ScepConfig {
  return loadConfig('scep-api', scepConfigSchema, env);
}
