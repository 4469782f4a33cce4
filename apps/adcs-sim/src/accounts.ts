/**
 * The simulated domain's accounts, for the NTLM acceptor (SMB SESSION_SETUP and RPC binds).
 *
 * User names match case-insensitively, as SAM account names do. The domain is not checked: the
 * NTLMv2 proof covers the domain string the client sent (MS-NLMP 3.3.2, NTOWFv2 hashes
 * UPPER(user) ‖ domain), and Windows accepts an empty domain, `.`, the NetBIOS name, the DNS name,
 * or — on a server that is not a domain member — any other name mapped to its local accounts.
 */
import { ntHash, type NtlmUserLookup } from '@enrollgate/wcce';
import type { SimUser } from './cli.js';

export class AccountStore {
  private readonly hashes = new Map<string, Buffer>();

  constructor(users: readonly SimUser[]) {
    for (const u of users) {
      const hash = u.ntHash ?? (u.password ? ntHash(u.password.reveal()) : undefined);
      if (hash) this.hashes.set(u.name.toLowerCase(), Buffer.from(hash));
    }
  }

  /** Account names (never secrets), for the start-up log line. */
  get names(): string[] {
    return [...this.hashes.keys()];
  }

  /** NT hash of the account, or undefined (→ STATUS_LOGON_FAILURE / bind refused). */
  readonly lookup: NtlmUserLookup = (user) => {
    const hash = this.hashes.get(user.toLowerCase());
    return hash === undefined ? undefined : Buffer.from(hash);
  };
}
