import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

/** Why a name did not resolve: NXDOMAIN/NODATA are answers (permanent); SERVFAIL/timeouts are not. */
export class ResolveError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'ResolveError';
  }
}

/**
 * Name resolution for challenge validation: by default the system resolver (getaddrinfo for
 * addresses, so /etc/hosts and the cluster's DNS apply; the system's servers for TXT), or the
 * configured servers (acme2certifier `dns_server_list`, HOST or HOST:PORT each).
 */
export class ValidationResolver {
  private readonly resolver: dns.Resolver;

  constructor(
    private readonly servers: readonly string[],
    timeoutMs: number,
  ) {
    this.resolver = new dns.Resolver({ timeout: Math.max(500, Math.floor(timeoutMs / 2)), tries: 2 });
    if (servers.length > 0) this.resolver.setServers([...servers]);
  }

  /** Addresses of a host, IPv4 first (Boulder prefers IPv6; loopback test setups have only v4). */
  async addresses(host: string): Promise<string[]> {
    if (isIP(host)) return [host];
    if (this.servers.length === 0) {
      try {
        const found: LookupAddress[] = await dns.lookup(host, { all: true, verbatim: false });
        return found.map((a) => a.address);
      } catch (e) {
        throw resolveError(host, 'A/AAAA', e);
      }
    }
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]);
    const out = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (out.length === 0) throw resolveError(host, 'A/AAAA', v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : undefined);
    return out;
  }

  async txt(name: string): Promise<string[]> {
    try {
      return (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (e) {
      throw resolveError(name, 'TXT', e);
    }
  }
}

function resolveError(name: string, type: string, e: unknown): ResolveError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  const answered = code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NXDOMAIN';
  return new ResolveError(`${type} lookup of ${name} failed: ${code}`, !answered);
}
