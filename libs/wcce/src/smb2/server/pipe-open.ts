import type { RpcPipeHandler } from '../../transport/rpc-transport.js';
import type { FileId } from '../messages/common.js';

/**
 * One open of a named pipe on the server: the RpcPipeHandler the application gave us, plus the
 * message-mode read state. A reply PDU larger than the client's READ Length (or IOCTL
 * MaxOutputResponse) is handed out in pieces: each piece but the last answers
 * STATUS_BUFFER_OVERFLOW (MS-SMB2 3.3.5.12 / MS-FSCC 2.3.40), like a Windows message-mode pipe.
 */
export interface PipeChunk {
  data: Buffer;
  /** More bytes of the same message remain: answer STATUS_BUFFER_OVERFLOW. */
  more: boolean;
}

export class PipeOpen {
  private remainder?: Buffer;
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly fileId: FileId,
    readonly sessionId: bigint,
    readonly treeId: number,
    private readonly handler: RpcPipeHandler,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  async write(data: Buffer): Promise<void> {
    await this.handler.onWrite(data);
    this.notify();
  }

  /** FSCTL_PIPE_TRANSCEIVE: the reply, split at `maxOutput` (the rest is read with READ). */
  async transceive(input: Buffer, maxOutput: number): Promise<PipeChunk> {
    const reply = await this.handler.transceive(input);
    this.notify();
    return this.split(reply, maxOutput);
  }

  /** The next piece of a reply if one is ready, without waiting. */
  async takeChunk(maxLength: number): Promise<PipeChunk | undefined> {
    if (this.remainder) {
      const rest = this.remainder;
      this.remainder = undefined;
      return this.split(rest, maxLength);
    }
    const reply = await this.handler.takeReply();
    return reply === undefined ? undefined : this.split(reply, maxLength);
  }

  /** Resolves on the next write/transceive/close, or after `pollMs` (replies may be produced asynchronously). */
  changed(pollMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.handler.close();
    } finally {
      this.notify();
    }
  }

  private split(message: Buffer, maxLength: number): PipeChunk {
    const limit = Math.max(1, maxLength);
    if (message.length <= limit) return { data: message, more: false };
    this.remainder = message.subarray(limit);
    return { data: message.subarray(0, limit), more: true };
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
