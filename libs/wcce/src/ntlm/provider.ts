import { createHmac, randomBytes } from 'node:crypto';
import { WcceError } from '../errors.js';
import { RpcAuthType, type NtlmCredentials, type SecurityContext, type SecurityProvider } from '../security/provider.js';
import { MechOid } from '../spnego/oids.js';
import { SpnegoContext } from '../spnego/context.js';
import { NtlmInitiatorContext, type NtlmAuthenticateStyle, type NtlmRandomSource } from './context.js';
import { ntHash } from './ntlmv2.js';

export interface NtlmProviderOptions {
  /** AUTHENTICATE style (default `windows`, see NtlmAuthenticateStyle). */
  style?: NtlmAuthenticateStyle;
  random?: NtlmRandomSource;
  now?: () => Date;
}

/**
 * Keys the cache key's secret fingerprint. Per process on purpose: pools only live in one
 * process, and a fingerprint that cannot be recomputed elsewhere is useless to a log reader.
 */
const CACHE_KEY_SALT = randomBytes(32);

/**
 * NTLM credentials as a SecurityProvider: SPNEGO-wrapped NTLM for SMB2 SESSION_SETUP (MS-SMB2
 * 3.2.4.2.3), raw NTLMSSP for RPC binds with auth type WINNT (10), as impacket and
 * acme2certifier do (wcce-protocol.md 1.1).
 */
export class NtlmProvider implements SecurityProvider {
  readonly mechanism = 'ntlm' as const;
  readonly rpcAuthType = RpcAuthType.WINNT;
  readonly cacheKey: string;
  private readonly credentials: NtlmCredentials;

  constructor(
    credentials: NtlmCredentials,
    private readonly options: NtlmProviderOptions = {},
  ) {
    if (credentials.kind !== 'ntlm') throw new WcceError('CONFIG', 'NtlmProvider needs NTLM credentials');
    if (!credentials.user) throw new WcceError('CONFIG', 'NTLM credentials need a user name');
    let secret: Buffer;
    if (credentials.ntHash !== undefined) {
      if (credentials.ntHash.length !== 16) throw new WcceError('CONFIG', 'NT hash must be 16 bytes');
      secret = credentials.ntHash;
    } else if (credentials.password !== undefined) {
      secret = ntHash(credentials.password);
    } else {
      throw new WcceError('CONFIG', 'NTLM credentials need a password or an NT hash');
    }
    // Password and NT hash of the same account give the same key; the secret is only fingerprinted.
    const fingerprint = createHmac('sha256', CACHE_KEY_SALT).update(secret).digest('hex').slice(0, 16);
    this.cacheKey = `ntlm:${credentials.domain.toLowerCase()}\\${credentials.user.toLowerCase()}:${fingerprint}`;
    this.credentials = { ...credentials };
  }

  /**
   * `smb` → SpnegoContext(NTLMSSP) with SPN `cifs/<target>`; `rpc` → raw NTLM with SPN
   * `host/<target>` (MS-SCMR 2.1.2 style SPN for RPC; impacket style always uses cifs/).
   */
  createContext(purpose: 'smb' | 'rpc', target: string): SecurityContext {
    const ntlm = new NtlmInitiatorContext({
      credentials: this.credentials,
      style: this.options.style ?? 'windows',
      spn: `${purpose === 'smb' ? 'cifs' : 'host'}/${target}`,
      ...(this.options.random ? { random: this.options.random } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    if (purpose === 'rpc') return ntlm;
    return new SpnegoContext({ role: 'initiator', inner: ntlm, mech: MechOid.NTLMSSP });
  }

  /** Never prints the secret. */
  toJSON(): Record<string, string> {
    return { mechanism: this.mechanism, cacheKey: this.cacheKey };
  }
}
