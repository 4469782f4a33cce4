import { Resolver } from 'node:dns/promises';
import { WcceError } from '../errors.js';
import type { KdcAddress } from './transport.js';

/** Parses `HOST`, `HOST:PORT` or `[V6]:PORT` (acme2certifier `domain_controller`, CLI `--dc-ip`). */
export function parseKdcAddress(text: string): KdcAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m || (m[3] !== undefined && Number(m[3]) > 65535)) throw new WcceError('CONFIG', `KDC address: expected HOST or HOST:PORT, got "${text}"`);
  return { host: (m[1] ?? m[2]) as string, ...(m[3] !== undefined ? { port: Number(m[3]) } : {}) };
}

export interface KdcLocatorOptions {
  /** `domain_controller`: KDCs to use, in order (no DNS lookup then). */
  domainControllers?: readonly string[];
  /** `dns_server`: resolver to ask for `_kerberos._tcp.REALM` SRV records (default: the system's). */
  dnsServer?: string;
  timeoutMs?: number;
}

/**
 * Where the realm's KDCs are: the configured domain controllers, or DNS SRV `_kerberos._tcp.<realm>`
 * (RFC 4120 7.2.3.2; AD registers these for every DC), ordered by priority then weight.
 */
export async function locateKdcs(realm: string, options: KdcLocatorOptions = {}): Promise<KdcAddress[]> {
  if (options.domainControllers && options.domainControllers.length > 0) return options.domainControllers.map(parseKdcAddress);
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 5000, tries: 2 });
  if (options.dnsServer) resolver.setServers([options.dnsServer]);
  const name = `_kerberos._tcp.${realm.toLowerCase()}`;
  let records: { name: string; port: number; priority: number; weight: number }[];
  try {
    records = await resolver.resolveSrv(name);
  } catch (e) {
    throw new WcceError(
      'CONFIG',
      `no KDC configured and DNS SRV ${name}${options.dnsServer ? ` at ${options.dnsServer}` : ''} failed (${(e as NodeJS.ErrnoException).code ?? String(e)}); set domain_controller`,
      { cause: e },
    );
  }
  if (records.length === 0) throw new WcceError('CONFIG', `DNS SRV ${name} has no records; set domain_controller`);
  return records.sort((a, b) => a.priority - b.priority || b.weight - a.weight).map((r) => ({ host: r.name, port: r.port }));
}
