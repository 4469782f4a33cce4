import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WcceError } from '../../errors.js';
import { RpcAuthLevel, type RpcPduParts, type SecurityContext, type SecurityRole, type SecurityStep } from '../../security/provider.js';

/**
 * Test-only SecurityContext: a deterministic multi-leg token exchange and a keyed MAC + XOR
 * "seal", with per-direction sequence numbers. It exercises every seam RpcClient and
 * RpcServerConnection use (legs, verifier length, per-fragment wrap/unwrap, tamper detection)
 * without depending on NTLM or Kerberos.
 */
export interface ToySecurityOptions {
  /** Server tokens the initiator consumes before it is complete (1 = NTLM-like, 2+ = multi-leg). */
  rounds?: number;
  /** The acceptor refuses the final leg (wrong password). */
  rejectFinal?: boolean;
  peerName?: string;
}

const VERIFIER_LENGTH = 16;

export class ToySecurityContext implements SecurityContext {
  readonly mechanism = 'spnego' as const;
  private done = false;
  private leg = 0;
  private sendSeq = 0;
  private recvSeq = 0;
  readonly peerName?: string;
  private readonly rounds: number;

  constructor(
    readonly role: SecurityRole,
    private readonly options: ToySecurityOptions = {},
  ) {
    this.rounds = options.rounds ?? 1;
    if (role === 'acceptor') this.peerName = options.peerName ?? 'TOY\\tester';
  }

  get complete(): boolean {
    return this.done;
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    const leg = this.leg++;
    if (this.role === 'initiator') {
      if (leg > 0 && input?.toString() !== `S${leg - 1}`) throw new WcceError('PROTOCOL', `unexpected token ${input?.toString()}`);
      if (leg >= this.rounds) this.done = true;
      return { output: Buffer.from(`C${leg}`), complete: this.done };
    }
    if (input?.toString() !== `C${leg}`) throw new WcceError('AUTH_FAILED', `unexpected token ${input?.toString()}`);
    if (leg >= this.rounds) {
      if (this.options.rejectFinal) throw new WcceError('AUTH_FAILED', 'toy logon failure');
      this.done = true;
      return { complete: true };
    }
    return { output: Buffer.from(`S${leg}`), complete: false };
  }

  sessionKey(): Buffer {
    return Buffer.alloc(16, 0x42);
  }

  verifierLength(): number {
    return VERIFIER_LENGTH;
  }

  private key(direction: 'c2s' | 's2c'): Buffer {
    return createHash('sha256').update(`toy-${direction}`).digest();
  }

  private stream(direction: 'c2s' | 's2c', seq: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0, block = 0; i < length; block++) {
      const chunk = createHash('sha256').update(this.key(direction)).update(`${seq}:${block}`).digest();
      chunk.copy(out, i);
      i += chunk.length;
    }
    return out;
  }

  private mac(direction: 'c2s' | 's2c', seq: number, header: Buffer, stub: Buffer, trailer: Buffer): Buffer {
    const seqBytes = Buffer.alloc(4);
    seqBytes.writeUInt32LE(seq);
    const h = createHmac('sha256', this.key(direction)).update(seqBytes).update(header).update(stub).update(trailer).digest();
    return Buffer.concat([seqBytes, h.subarray(0, 12)]);
  }

  private outDir(): 'c2s' | 's2c' {
    return this.role === 'initiator' ? 'c2s' : 's2c';
  }

  private inDir(): 'c2s' | 's2c' {
    return this.role === 'initiator' ? 's2c' : 'c2s';
  }

  wrap(level: RpcAuthLevel, pdu: RpcPduParts): { stub: Buffer; verifier: Buffer } {
    if (!this.done) throw new WcceError('PROTOCOL', 'toy context not complete');
    const seq = this.sendSeq++;
    const verifier = this.mac(this.outDir(), seq, pdu.header, pdu.stub, pdu.trailer);
    if (level !== RpcAuthLevel.PKT_PRIVACY) return { stub: pdu.stub, verifier };
    const ks = this.stream(this.outDir(), seq, pdu.stub.length);
    return { stub: Buffer.from(pdu.stub.map((b, i) => b ^ ks[i]!)), verifier };
  }

  unwrap(level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): Buffer {
    const seq = this.recvSeq++;
    let plain = pdu.stub;
    if (level === RpcAuthLevel.PKT_PRIVACY) {
      const ks = this.stream(this.inDir(), seq, pdu.stub.length);
      plain = Buffer.from(pdu.stub.map((b, i) => b ^ ks[i]!));
    }
    const expected = this.mac(this.inDir(), seq, pdu.header, plain, pdu.trailer);
    if (verifier.length !== expected.length || !timingSafeEqual(verifier, expected)) {
      throw new WcceError('INTEGRITY', `toy verifier mismatch at sequence ${seq}`);
    }
    return plain;
  }
}
