import { WcceError } from '../errors.js';
import { RpcAuthType } from '../security/provider.js';
import { SpnegoContext } from '../spnego/context.js';
import { NtlmInitiatorContext } from './context.js';
import { ntHash } from './ntlmv2.js';
import { NtlmProvider } from './provider.js';

describe(NtlmProvider.name, () => {
  const password = 'Pr0vider-secret';
  const sut = new NtlmProvider({ kind: 'ntlm', domain: 'CORP', user: 'Svc-Enroll', password });

  it('uses raw NTLMSSP for RPC binds with auth type WINNT (10)', () => {
    expect(sut.rpcAuthType).toBe(RpcAuthType.WINNT);
    expect(sut.mechanism).toBe('ntlm');
    expect(sut.createContext('rpc', 'ca01.corp.local')).toBeInstanceOf(NtlmInitiatorContext);
  });

  it('wraps NTLM in SPNEGO for SMB', () => {
    const ctx = sut.createContext('smb', 'ca01.corp.local');
    expect(ctx).toBeInstanceOf(SpnegoContext);
    expect(ctx.mechanism).toBe('spnego');
    expect(ctx.role).toBe('initiator');
  });

  it('gives the same cache key for a password and its NT hash, and never contains the secret', () => {
    const byHash = new NtlmProvider({ kind: 'ntlm', domain: 'corp', user: 'svc-enroll', ntHash: ntHash(password) });
    expect(byHash.cacheKey).toBe(sut.cacheKey);
    expect(sut.cacheKey).not.toContain(password);
    expect(sut.cacheKey).not.toContain(ntHash(password).toString('hex'));
    expect(JSON.stringify(sut)).not.toContain(password);
  });

  it('gives different cache keys for different secrets or users', () => {
    const other = new NtlmProvider({ kind: 'ntlm', domain: 'CORP', user: 'Svc-Enroll', password: 'other' });
    const otherUser = new NtlmProvider({ kind: 'ntlm', domain: 'CORP', user: 'someone', password });
    expect(new Set([sut.cacheKey, other.cacheKey, otherUser.cacheKey]).size).toBe(3);
  });

  it('refuses incomplete credentials with CONFIG', () => {
    expect(() => new NtlmProvider({ kind: 'ntlm', domain: 'D', user: 'u' })).toThrow(WcceError);
    expect(() => new NtlmProvider({ kind: 'ntlm', domain: 'D', user: 'u', ntHash: Buffer.alloc(3) })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});
