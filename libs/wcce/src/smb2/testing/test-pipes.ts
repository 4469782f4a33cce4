import type { RpcPipeHandler } from '../../transport/rpc-transport.js';

/**
 * RpcPipeHandlers for SMB2 tests: each reply is `reply(pdu)`, optionally produced late (to force
 * the server's STATUS_PENDING path) — stand-ins for the DCE/RPC server.
 */
export class ScriptedPipe implements RpcPipeHandler {
  private readonly replies: Buffer[] = [];
  closed = false;
  writes: Buffer[] = [];

  constructor(
    private readonly reply: (pdu: Buffer) => Buffer = (pdu) => Buffer.concat([Buffer.from('ACK:'), pdu]),
    private readonly delayMs = 0,
  ) {}

  async onWrite(pdu: Buffer): Promise<void> {
    this.writes.push(pdu);
    const out = this.reply(pdu);
    if (this.delayMs > 0) setTimeout(() => this.replies.push(out), this.delayMs).unref();
    else this.replies.push(out);
  }

  async takeReply(): Promise<Buffer | undefined> {
    return this.replies.shift();
  }

  async transceive(pdu: Buffer): Promise<Buffer> {
    this.writes.push(pdu);
    return this.reply(pdu);
  }

  close(): void {
    this.closed = true;
  }
}
