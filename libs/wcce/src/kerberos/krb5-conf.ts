import { readFile } from 'node:fs/promises';
import { WcceError } from '../errors.js';
import { parseKdcAddress } from './kdc-locator.js';
import type { KdcAddress } from './transport.js';

/** What enrollgate takes from a krb5.conf (acme2certifier `krb5_config`): the default realm and each realm's KDCs. */
export interface Krb5Conf {
  defaultRealm?: string;
  kdcs: Map<string, KdcAddress[]>;
}

/**
 * Reads the parts of MIT krb5.conf(5) syntax we use: `[libdefaults] default_realm` and
 * `[realms] REALM = { kdc = host[:port] ... }`. Everything else (includes, DNS knobs, enctypes) is
 * ignored: the KDC list is all a library without system GSSAPI needs from it.
 */
export function parseKrb5Conf(text: string): Krb5Conf {
  const out: Krb5Conf = { kdcs: new Map() };
  let section = '';
  let realm: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim().toLowerCase();
      realm = undefined;
      continue;
    }
    if (section === 'libdefaults') {
      const m = /^default_realm\s*=\s*(\S+)$/.exec(line);
      if (m) out.defaultRealm = m[1]!;
    } else if (section === 'realms') {
      const open = /^(\S+)\s*=\s*\{$/.exec(line);
      if (open) realm = open[1]!.toUpperCase();
      else if (line === '}') realm = undefined;
      else if (realm) {
        const kdc = /^kdc\s*=\s*(\S+)$/.exec(line);
        if (kdc) out.kdcs.set(realm, [...(out.kdcs.get(realm) ?? []), parseKdcAddress(kdc[1]!)]);
      }
    }
  }
  return out;
}

export async function readKrb5Conf(path: string): Promise<Krb5Conf> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new WcceError('CONFIG', `krb5_config ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  return parseKrb5Conf(text);
}
