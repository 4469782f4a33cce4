import { isIP } from 'node:net';
import type { AcmeIdentifier } from '@enrollgate/store';
import { AcmeProblem, malformed, type Subproblem } from '../acme/problems.js';

export interface ParsedIdentifier {
  /** As stored on the order (wildcards keep their `*.`). */
  identifier: AcmeIdentifier;
  /** As authorized (RFC 8555 §7.1.4: the wildcard's base domain). */
  authzValue: string;
  wildcard: boolean;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a DNS name is not acceptable, or undefined when it is (lower-case input). */
export function dnsNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty DNS name';
  if (name.length > 253) return 'DNS name longer than 253 characters';
  if (name.endsWith('.')) return 'DNS name must not end with a dot';
  const labels = name.split('.');
  if (labels.length < 2) return 'DNS name must have at least two labels';
  if (isIP(name)) return 'an IP address must use the "ip" identifier type';
  for (const label of labels) if (!LABEL.test(label)) return `invalid DNS label "${label}"`;
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return 'top-level label must not be numeric';
  return undefined;
}

/** Canonical text of an IP address (RFC 8738 §3: IPv6 per RFC 5952). */
export function canonicalIp(value: string): string | undefined {
  const v = isIP(value);
  if (v === 4) return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(value) ? value : undefined;
  if (v === 6) {
    try {
      return new URL(`http://[${value}]/`).hostname.slice(1, -1);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Validates newOrder identifiers (RFC 8555 §7.4, RFC 8738): known types, well-formed values,
 * wildcards only as the whole leftmost label of a DNS name. Every bad identifier becomes a
 * subproblem. Duplicates (after lower-casing) are merged. How many an order may hold is the
 * policy's (identifier_limit); the request body limit bounds the work done here.
 */
export function parseIdentifiers(value: unknown): ParsedIdentifier[] {
  if (!Array.isArray(value) || value.length === 0) throw malformed('identifiers must be a non-empty array');
  const out: ParsedIdentifier[] = [];
  const seen = new Set<string>();
  const problems: Subproblem[] = [];
  for (const raw of value) {
    if (
      typeof raw !== 'object' ||
      raw === null ||
      typeof (raw as Record<string, unknown>)['type'] !== 'string' ||
      typeof (raw as Record<string, unknown>)['value'] !== 'string'
    ) {
      throw malformed('each identifier must be {"type": string, "value": string}');
    }
    const type = (raw as { type: string }).type;
    const text = (raw as { value: string }).value;
    if (type === 'dns') {
      const lower = text.toLowerCase();
      const wildcard = lower.startsWith('*.');
      const base = wildcard ? lower.slice(2) : lower;
      const problem = base.includes('*') ? 'wildcard only as the whole leftmost label ("*.example.com")' : dnsNameProblem(base);
      if (problem) {
        problems.push({ type: 'rejectedIdentifier', detail: `${text}: ${problem}`, identifier: { type: 'dns', value: text } });
        continue;
      }
      if (!seen.has(`dns:${lower}`)) out.push({ identifier: { type: 'dns', value: lower }, authzValue: base, wildcard });
      seen.add(`dns:${lower}`);
    } else if (type === 'ip') {
      const ip = canonicalIp(text);
      if (ip === undefined) {
        problems.push({ type: 'rejectedIdentifier', detail: `${text}: not an IPv4 or IPv6 address`, identifier: { type: 'ip', value: text } });
        continue;
      }
      if (!seen.has(`ip:${ip}`)) out.push({ identifier: { type: 'ip', value: ip }, authzValue: ip, wildcard: false });
      seen.add(`ip:${ip}`);
    } else {
      problems.push({ type: 'unsupportedIdentifier', detail: `identifier type "${type}" is not supported (dns, ip)`, identifier: { type, value: text } });
    }
  }
  if (problems.length > 0) throw AcmeProblem.forIdentifiers(`${problems.length} of ${value.length} identifiers cannot be issued`, problems);
  return out;
}

/** Challenge types offered for an identifier (RFC 8555 §8; RFC 8738 §7: no dns-01 for IPs; wildcards only dns-01). */
export function challengeTypesFor(identifier: ParsedIdentifier): string[] {
  if (identifier.identifier.type === 'ip') return ['http-01', 'tls-alpn-01'];
  if (identifier.wildcard) return ['dns-01'];
  return ['http-01', 'dns-01', 'tls-alpn-01'];
}
