/**
 * The simulated CA's Kerberos service keys: the keytab the KDC exported for the CA host (e.g.
 * `samba-tool domain exportkeytab --principal=host/ca.test.local`, or MIT `ktadd`), optionally
 * narrowed to the services named with `--kerberos-service` (`host/NAME`, `cifs/NAME`).
 */
import { ConfigError } from '@enrollgate/platform';
import { principalToString, readKeytab, type KeytabEntry } from '@enrollgate/wcce';

/** True when `entry` is the service `spec` (`svc/host` or `svc/host@REALM`, case-insensitive). */
export function keytabEntryMatches(entry: KeytabEntry, spec: string): boolean {
  const [name, realm] = spec.split('@') as [string, string | undefined];
  if (realm !== undefined && realm.toUpperCase() !== entry.principal.realm.toUpperCase()) return false;
  return entry.principal.name.nameString.join('/').toLowerCase() === name.toLowerCase();
}

/** Selects the keys to accept tickets with; a keytab with none of the requested services is a start-up error. */
export function selectServiceKeys(entries: KeytabEntry[], services: readonly string[], source = 'keytab'): KeytabEntry[] {
  const keys = services.length === 0 ? entries : entries.filter((e) => services.some((s) => keytabEntryMatches(e, s)));
  if (keys.length === 0) {
    const held = [...new Set(entries.map((e) => principalToString(e.principal)))].join(', ') || 'nothing';
    throw new ConfigError('adcs-sim', [`--keytab ${source}: no key for ${services.length ? services.join(', ') : 'any service'} (it holds ${held})`]);
  }
  return keys;
}

export async function loadServiceKeys(path: string, services: readonly string[]): Promise<KeytabEntry[]> {
  let entries: KeytabEntry[];
  try {
    entries = await readKeytab(path);
  } catch (e) {
    throw new ConfigError('adcs-sim', [`--keytab ${path}: ${(e as Error).message}`]);
  }
  return selectServiceKeys(entries, services, path);
}

/** Principals a key set serves (for the start-up log line; never key material). */
export function servicePrincipals(keys: readonly KeytabEntry[]): string[] {
  return [...new Set(keys.map((k) => principalToString(k.principal)))];
}
