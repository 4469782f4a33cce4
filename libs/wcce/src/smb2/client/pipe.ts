import { WcceError } from '../../errors.js';
import type { RpcTransport } from '../../transport/rpc-transport.js';
import {
  FILE_ATTRIBUTE_NORMAL,
  FsctlCode,
  PIPE_DESIRED_ACCESS,
  SMB2_0_IOCTL_IS_FSCTL,
  Smb2Command,
  Smb2CreateDisposition,
  Smb2CreateOptions,
  Smb2ImpersonationLevel,
  Smb2ShareAccess,
} from '../constants.js';
import {
  type FileId,
  decodeCreateResponse,
  decodeIoctlResponse,
  decodeReadResponse,
  decodeWriteResponse,
  encodeCloseRequest,
  encodeCreateRequest,
  encodeIoctlRequest,
  encodeReadRequest,
  encodeWriteRequest,
} from '../messages/index.js';
import { NtStatus } from '../status.js';
import type { SmbSession } from './session.js';

/** Per-pipe options. */
export interface SmbPipeOptions {
  /** Largest reply PDU accepted in one read()/transact(), reassembled across BUFFER_OVERFLOW (default 1 MiB). */
  maxMessageSize?: number;
}

/**
 * A message-mode named pipe on IPC$ (`ncacn_np`, MS-RPCE 2.1.1.2) as an RpcTransport:
 * write() = SMB2 WRITE, read() = SMB2 READ until a whole message (STATUS_BUFFER_OVERFLOW
 * means "more of the same message", MS-SMB2 3.3.5.12), transact() = FSCTL_PIPE_TRANSCEIVE.
 */
export class SmbPipe implements RpcTransport {
  private closed = false;

  private constructor(
    private readonly session: SmbSession,
    private readonly treeId: number,
    readonly name: string,
    readonly fileId: FileId,
    private readonly maxMessageSize: number,
  ) {}

  /** @internal use SmbSession.openPipe. */
  static async open(session: SmbSession, treeId: number, name: string, options: SmbPipeOptions): Promise<SmbPipe> {
    const res = await session.request(
      {
        command: Smb2Command.CREATE,
        treeId,
        body: encodeCreateRequest({
          requestedOplockLevel: 0,
          impersonationLevel: Smb2ImpersonationLevel.IMPERSONATION,
          desiredAccess: PIPE_DESIRED_ACCESS,
          fileAttributes: FILE_ATTRIBUTE_NORMAL,
          shareAccess: Smb2ShareAccess.READ | Smb2ShareAccess.WRITE,
          createDisposition: Smb2CreateDisposition.OPEN,
          createOptions: Smb2CreateOptions.NON_DIRECTORY_FILE,
          name,
          createContexts: Buffer.alloc(0),
        }),
      },
      [NtStatus.SUCCESS],
      `CREATE \\pipe\\${name}`,
    );
    return new SmbPipe(session, treeId, name, decodeCreateResponse(res.raw).fileId, options.maxMessageSize ?? 1024 * 1024);
  }

  /** The largest PDU one write()/transact() carries. */
  get maxPduSize(): number {
    const l = this.session.limits;
    return Math.min(l.maxWriteSize, l.maxTransactSize);
  }

  async write(pdu: Buffer): Promise<void> {
    this.assertOpen();
    if (pdu.length > this.session.limits.maxWriteSize)
      throw new WcceError('PROTOCOL', `PDU of ${pdu.length} bytes exceeds the pipe's ${this.session.limits.maxWriteSize}-byte write limit`);
    const res = await this.session.request(
      {
        command: Smb2Command.WRITE,
        treeId: this.treeId,
        body: encodeWriteRequest({
          offset: 0n,
          fileId: this.fileId,
          remainingBytes: 0,
          flags: 0,
          data: pdu,
        }),
      },
      [NtStatus.SUCCESS],
      `WRITE \\pipe\\${this.name}`,
    );
    const count = decodeWriteResponse(res.raw).count;
    if (count !== pdu.length) throw new WcceError('TRANSPORT', `WRITE \\pipe\\${this.name}: ${count} of ${pdu.length} bytes written`);
  }

  async read(): Promise<Buffer> {
    this.assertOpen();
    return this.readRest([]);
  }

  async transact(pdu: Buffer): Promise<Buffer> {
    this.assertOpen();
    if (pdu.length > this.session.limits.maxTransactSize)
      throw new WcceError('PROTOCOL', `PDU of ${pdu.length} bytes exceeds the pipe's ${this.session.limits.maxTransactSize}-byte transact limit`);
    const res = await this.session.request(
      {
        command: Smb2Command.IOCTL,
        treeId: this.treeId,
        body: encodeIoctlRequest({
          ctlCode: FsctlCode.PIPE_TRANSCEIVE,
          fileId: this.fileId,
          input: pdu,
          maxInputResponse: 0,
          maxOutputResponse: this.session.limits.maxTransactSize,
          flags: SMB2_0_IOCTL_IS_FSCTL,
        }),
      },
      [NtStatus.SUCCESS, NtStatus.BUFFER_OVERFLOW],
      `IOCTL FSCTL_PIPE_TRANSCEIVE \\pipe\\${this.name}`,
    );
    const first = decodeIoctlResponse(res.raw).output;
    // The reply did not fit MaxOutputResponse: the rest of the same message comes by READ.
    if (res.header.status === NtStatus.BUFFER_OVERFLOW) return this.readRest([first]);
    return first;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.forgetPipe(this);
    await this.session
      .request(
        {
          command: Smb2Command.CLOSE,
          treeId: this.treeId,
          body: encodeCloseRequest({ flags: 0, fileId: this.fileId }),
        },
        [NtStatus.SUCCESS],
        `CLOSE \\pipe\\${this.name}`,
      )
      .catch(() => undefined);
  }

  private async readRest(parts: Buffer[]): Promise<Buffer> {
    let size = parts.reduce((n, p) => n + p.length, 0);
    for (;;) {
      const res = await this.session.request(
        {
          command: Smb2Command.READ,
          treeId: this.treeId,
          body: encodeReadRequest({
            padding: 0x50,
            flags: 0,
            length: this.session.limits.maxReadSize,
            offset: 0n,
            fileId: this.fileId,
            minimumCount: 0,
            remainingBytes: 0,
          }),
        },
        [NtStatus.SUCCESS, NtStatus.BUFFER_OVERFLOW],
        `READ \\pipe\\${this.name}`,
      );
      const data = decodeReadResponse(res.raw).data;
      parts.push(data);
      size += data.length;
      if (size > this.maxMessageSize) throw new WcceError('PROTOCOL', `pipe message on \\pipe\\${this.name} exceeds ${this.maxMessageSize} bytes`);
      if (res.header.status === NtStatus.SUCCESS) return Buffer.concat(parts);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new WcceError('TRANSPORT', `\\pipe\\${this.name} is closed`);
  }
}
