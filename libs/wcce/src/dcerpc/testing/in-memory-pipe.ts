import { WcceError } from '../../errors.js';
import type { RpcPipeHandler, RpcTransport } from '../../transport/rpc-transport.js';

/**
 * Test-only RpcTransport wired straight to an RpcPipeHandler (an RpcServerConnection), with hooks
 * to record or tamper with PDUs in either direction. Not exported from the package.
 */
export interface InMemoryPipeOptions {
  maxPduSize?: number;
  /** Rewrites a client → server PDU (return the bytes to deliver). */
  toServer?: (pdu: Buffer, index: number) => Buffer;
  /** Rewrites a server → client PDU. */
  toClient?: (pdu: Buffer, index: number) => Buffer;
}

export class InMemoryPipe implements RpcTransport {
  readonly maxPduSize: number;
  /** Every PDU as sent by the client and as received by it (after the hooks). */
  readonly sent: Buffer[] = [];
  readonly received: Buffer[] = [];
  readonly calls: Array<'write' | 'read' | 'transact'> = [];
  private closed = false;

  constructor(
    private readonly handler: RpcPipeHandler,
    private readonly options: InMemoryPipeOptions = {},
  ) {
    this.maxPduSize = options.maxPduSize ?? 65535;
  }

  private outgoing(pdu: Buffer): Buffer {
    if (this.closed) throw new WcceError('TRANSPORT', 'pipe closed');
    if (pdu.length > this.maxPduSize) throw new WcceError('TRANSPORT', `PDU of ${pdu.length} bytes exceeds ${this.maxPduSize}`);
    const out = this.options.toServer ? this.options.toServer(Buffer.from(pdu), this.sent.length) : pdu;
    this.sent.push(out);
    return out;
  }

  private incoming(pdu: Buffer): Buffer {
    const out = this.options.toClient ? this.options.toClient(Buffer.from(pdu), this.received.length) : pdu;
    this.received.push(out);
    return out;
  }

  async write(pdu: Buffer): Promise<void> {
    this.calls.push('write');
    await this.handler.onWrite(this.outgoing(pdu));
  }

  async read(): Promise<Buffer> {
    this.calls.push('read');
    const reply = await this.handler.takeReply();
    if (!reply) throw new WcceError('TRANSPORT', 'read: no PDU queued by the server');
    return this.incoming(reply);
  }

  async transact(pdu: Buffer): Promise<Buffer> {
    this.calls.push('transact');
    return this.incoming(await this.handler.transceive(this.outgoing(pdu)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handler.close();
  }
}
