import { createHash } from 'node:crypto';
import { failed, passed, type ChallengeTarget, type ChallengeValidator, type ValidationOutcome } from './outcome.js';
import { ResolveError, type ValidationResolver } from './resolver.js';

/** RFC 8555 §8.4: the TXT value is base64url(SHA-256(key authorization)). */
export function dns01TxtValue(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization).digest('base64url');
}

/** dns-01: a TXT record at _acme-challenge.<domain> holds the digest (wildcards: the base domain). */
export class Dns01Validator implements ChallengeValidator {
  readonly type = 'dns-01';

  constructor(private readonly resolver: ValidationResolver) {}

  async validate(target: ChallengeTarget): Promise<ValidationOutcome> {
    if (target.type !== 'dns') return failed('malformed', 'dns-01 applies to DNS identifiers only');
    const name = `_acme-challenge.${target.value}`;
    let records: string[];
    try {
      records = await this.resolver.txt(name);
    } catch (e) {
      if (e instanceof ResolveError) return failed('dns', e.message, e.transient);
      throw e;
    }
    const expected = dns01TxtValue(target.keyAuthorization);
    if (records.includes(expected)) return passed;
    return failed('incorrectResponse', `no TXT record at ${name} matches the key authorization digest (found ${records.length} record(s))`);
  }
}
