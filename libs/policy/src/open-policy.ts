import { dirname, resolve } from 'node:path';
import { loadPolicyConfigFile } from './config/policy-config.js';
import { KeyProfileStore, type KeyProfileStoreOptions } from './eab/key-profile-store.js';
import { Policy } from './policy.js';

export interface OpenedPolicy {
  policy: Policy;
  /** the EAB key file, when `eab_key_file` is set: MAC keys (macKeyMap()) and kid profiles, reloading by itself */
  keyProfiles?: KeyProfileStore;
  /** stops watching the key file (onModuleDestroy) */
  close(): void;
}

/**
 * What an app does at start-up: read the policy file, open its EAB key file (a relative path is
 * taken relative to the policy file) and watch it. Throws PolicyConfigError / KeyProfileFileError
 * naming the file and the problem, so the app fails to start with a clear message.
 */
export function openPolicy(policyFile: string, options: KeyProfileStoreOptions & { watch?: boolean } = {}): OpenedPolicy {
  const config = loadPolicyConfigFile(policyFile);
  if (config.eabKeyFile === undefined) return { policy: new Policy(config), close: () => undefined };
  const keyProfiles = KeyProfileStore.load(resolve(dirname(resolve(policyFile)), config.eabKeyFile), options);
  if (options.watch !== false) keyProfiles.watch();
  return { policy: new Policy(config, keyProfiles), keyProfiles, close: () => keyProfiles.close() };
}
