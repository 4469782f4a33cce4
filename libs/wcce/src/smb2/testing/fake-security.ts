import { createHmac, randomBytes } from 'node:crypto';
import { WcceError } from '../../errors.js';
import type { RpcAuthLevel, RpcPduParts, SecurityContext, SecurityProvider, SecurityStep } from '../../security/provider.js';

/**
 * A tiny two-round-trip challenge/response mechanism for SMB2 tests that must not depend on the
 * NTLM/SPNEGO stack: NEGOTIATE("user") → CHALLENGE(8 random bytes) → PROOF(HMAC(password, challenge)).
 * Both sides derive the session key HMAC(password, challenge || "key"). Not a real protocol.
 */
const TAG = { hello: 1, challenge: 2, proof: 3 } as const;

function key(password: string, challenge: Buffer): Buffer {
  return createHmac('sha256', password).update(challenge).update('key').digest().subarray(0, 16);
}

function proof(password: string, challenge: Buffer): Buffer {
  return createHmac('sha256', password).update(challenge).digest();
}

abstract class FakeContext implements SecurityContext {
  readonly mechanism = 'spnego' as const;
  abstract readonly role: 'initiator' | 'acceptor';
  protected done = false;
  protected key?: Buffer;
  peerName?: string;

  get complete(): boolean {
    return this.done;
  }

  abstract step(input?: Buffer): Promise<SecurityStep>;

  sessionKey(): Buffer {
    if (!this.key) throw new WcceError('PROTOCOL', 'fake context not complete');
    return this.key;
  }

  verifierLength(_level: RpcAuthLevel, _stubLength: number): number {
    throw new WcceError('UNSUPPORTED', 'fake mechanism has no RPC verifier');
  }

  wrap(_level: RpcAuthLevel, _pdu: RpcPduParts): { stub: Buffer; verifier: Buffer } {
    throw new WcceError('UNSUPPORTED', 'fake mechanism has no RPC wrap');
  }

  unwrap(_level: RpcAuthLevel, _pdu: RpcPduParts, _verifier: Buffer): Buffer {
    throw new WcceError('UNSUPPORTED', 'fake mechanism has no RPC unwrap');
  }
}

export class FakeInitiator extends FakeContext {
  readonly role = 'initiator' as const;
  constructor(
    private readonly user: string,
    private readonly password: string,
  ) {
    super();
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    if (!input)
      return {
        output: Buffer.concat([Buffer.of(TAG.hello), Buffer.from(this.user)]),
        complete: false,
      };
    if (input[0] === TAG.challenge) {
      const challenge = input.subarray(1);
      this.key = key(this.password, challenge);
      this.done = true;
      return {
        output: Buffer.concat([Buffer.of(TAG.proof), proof(this.password, challenge)]),
        complete: true,
      };
    }
    throw new WcceError('PROTOCOL', 'fake initiator: unexpected token');
  }
}

export class FakeAcceptor extends FakeContext {
  readonly role = 'acceptor' as const;
  private challenge?: Buffer;
  private user?: string;

  constructor(private readonly users: Record<string, string>) {
    super();
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    if (!input || input.length === 0) throw new WcceError('PROTOCOL', 'fake acceptor: empty token');
    if (input[0] === TAG.hello && !this.challenge) {
      this.user = input.subarray(1).toString();
      this.challenge = randomBytes(8);
      return {
        output: Buffer.concat([Buffer.of(TAG.challenge), this.challenge]),
        complete: false,
      };
    }
    if (input[0] === TAG.proof && this.challenge && this.user !== undefined) {
      const password = this.users[this.user];
      if (password === undefined || !proof(password, this.challenge).equals(input.subarray(1))) {
        throw new WcceError('AUTH_FAILED', `fake acceptor: bad proof for ${this.user}`);
      }
      this.key = key(password, this.challenge);
      this.peerName = `TEST\\${this.user}`;
      this.done = true;
      return { complete: true };
    }
    throw new WcceError('PROTOCOL', 'fake acceptor: unexpected token');
  }
}

export function fakeProvider(user: string, password: string): SecurityProvider {
  return {
    mechanism: 'ntlm',
    rpcAuthType: 10,
    cacheKey: `fake:${user}`,
    createContext: () => new FakeInitiator(user, password),
  };
}
