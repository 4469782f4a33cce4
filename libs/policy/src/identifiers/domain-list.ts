import { domainToASCII } from 'node:url';

/**
 * One `allowed_domainlist` entry, acme2certifier semantics (acme_srv/helpers/domain_utils.py):
 * - `host.example.com` allows exactly that name (not a wildcard name, not a subdomain);
 * - `*.example.com` allows every name below example.com at any depth (`a.example.com`,
 *   `a.b.example.com`), and wildcard names at or below it (`*.example.com`, `*.a.example.com`),
 *   but never `example.com` itself.
 * Names and entries are compared lower-case, IDNA (punycode) encoded, without a trailing dot.
 * Where acme2certifier matches a wildcard name by a plain string suffix (`*.badexample.com`
 * would pass `*.example.com`), we require a label boundary.
 */
export type DomainPattern =
  | { entry: string; kind: 'exact'; name: string }
  | { entry: string; kind: 'suffix'; base: string }
  /** Cannot match anything: a bad entry never widens the list (see DomainAllowList.parse). */
  | { entry: string; kind: 'invalid'; reason: string };

const NAME_RE = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Lower-case, IDNA-encoded, no trailing dot; undefined when it is not a DNS name. */
export function normaliseDomain(name: string): string | undefined {
  const trimmed = name.trim().toLowerCase().replace(/\.$/, '');
  if (trimmed === '') return undefined;
  const ascii = domainToASCII(trimmed);
  return ascii !== '' && NAME_RE.test(ascii) ? ascii : undefined;
}

export function parseDomainPattern(entry: string): DomainPattern {
  const text = entry.trim().toLowerCase();
  if (text === '') return { entry, kind: 'invalid', reason: 'empty entry' };
  if (text.startsWith('*.')) {
    const base = normaliseDomain(text.slice(2));
    return base === undefined ? { entry, kind: 'invalid', reason: `"${entry}" is not "*." followed by a DNS name` } : { entry, kind: 'suffix', base };
  }
  const name = normaliseDomain(text);
  return name === undefined ? { entry, kind: 'invalid', reason: `"${entry}" is not a DNS name or "*.<domain>"` } : { entry, kind: 'exact', name };
}

/** Does `name` (a DNS name, possibly `*.`-prefixed) match one pattern? */
export function domainMatches(pattern: DomainPattern, name: string): boolean {
  const wildcard = name.trim().startsWith('*.');
  const ascii = normaliseDomain(wildcard ? name.trim().slice(2) : name);
  if (ascii === undefined) return false;
  switch (pattern.kind) {
    case 'exact':
      return !wildcard && ascii === pattern.name;
    case 'suffix':
      // a wildcard name covers its base too: *.example.com is allowed by *.example.com
      return (wildcard && ascii === pattern.base) || ascii.endsWith(`.${pattern.base}`);
    case 'invalid':
      return false;
  }
}

/** A compiled `allowed_domainlist`. An empty list places no restriction (acme2certifier). */
export class DomainAllowList {
  private constructor(
    readonly patterns: readonly DomainPattern[],
    /** One text per bad entry, for the configuration report. */
    readonly problems: readonly string[],
  ) {}

  /**
   * Bad entries are kept as never-matching patterns and reported, so a typo cannot turn a
   * restricted list into an empty (unrestricted) one.
   */
  static parse(entries: readonly string[]): DomainAllowList {
    const patterns = entries.map(parseDomainPattern);
    const problems = patterns.flatMap((p) => (p.kind === 'invalid' ? [`allowed_domainlist: ${p.reason}`] : []));
    return new DomainAllowList(patterns, problems);
  }

  get restricts(): boolean {
    return this.patterns.length > 0;
  }

  /** The entry that allows `name`, or undefined. */
  match(name: string): string | undefined {
    return this.patterns.find((p) => domainMatches(p, name))?.entry;
  }

  allows(name: string): boolean {
    return !this.restricts || this.match(name) !== undefined;
  }
}
