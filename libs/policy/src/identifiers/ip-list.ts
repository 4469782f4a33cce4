import { BlockList, isIP } from 'node:net';

/**
 * A compiled `allowed_iplist`: addresses and CIDR networks, IPv4 and IPv6 (acme2certifier:
 * `ipaddress.ip_network(entry, strict=False)`, so host bits in `10.1.2.3/8` are ignored).
 * An empty list places no restriction. Bad entries are reported and match nothing.
 */
export class IpAllowList {
  private constructor(
    private readonly list: BlockList,
    readonly entries: readonly string[],
    readonly problems: readonly string[],
  ) {}

  static parse(entries: readonly string[]): IpAllowList {
    const list = new BlockList();
    const problems: string[] = [];
    for (const raw of entries) {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      const address = slash < 0 ? entry : entry.slice(0, slash);
      const family = isIP(address);
      if (family === 0) {
        problems.push(`allowed_iplist: "${raw}" is not an IP address or CIDR network`);
        continue;
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        list.addAddress(address, type);
        continue;
      }
      const prefixText = entry.slice(slash + 1);
      const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
      if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) {
        problems.push(`allowed_iplist: "${raw}" has a bad prefix length`);
        continue;
      }
      list.addSubnet(address, prefix, type);
    }
    return new IpAllowList(list, entries, problems);
  }

  get restricts(): boolean {
    return this.entries.length > 0;
  }

  allows(ip: string): boolean {
    if (!this.restricts) return true;
    const family = isIP(ip);
    return family !== 0 && this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}
