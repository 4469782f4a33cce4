/**
 * A byte-stream-of-PDUs transport under DCE/RPC (MS-RPCE 2.1.1): an SMB2 named pipe
 * (`ncacn_np`, smb2/pipe-transport.ts) or, later, a TCP connection (`ncacn_ip_tcp`).
 * Message-mode: each write() carries exactly one PDU and each read() returns exactly one PDU.
 */
export interface RpcTransport {
  /** Send one PDU that expects no immediate reply (AUTH3, non-last request fragments). */
  write(pdu: Buffer): Promise<void>;
  /** Receive the next whole PDU (reassembling STATUS_BUFFER_OVERFLOW partial reads). */
  read(): Promise<Buffer>;
  /** Send one PDU and receive the first reply PDU (FSCTL_PIPE_TRANSCEIVE on a pipe). */
  transact(pdu: Buffer): Promise<Buffer>;
  /** Largest PDU this transport can carry in one write/transact (e.g. SMB2 MaxTransactSize). */
  readonly maxPduSize: number;
  close(): Promise<void>;
}

/** The server side of a pipe: the SMB2 server hands each opened pipe one of these. */
export interface RpcPipeHandler {
  /** Bytes written by the client (one PDU per write). Returns nothing; replies are queued for read(). */
  onWrite(pdu: Buffer): Promise<void>;
  /** The next reply PDU for the client, or undefined if none is queued (SMB2 then answers STATUS_PENDING or waits). */
  takeReply(): Promise<Buffer | undefined>;
  /** FSCTL_PIPE_TRANSCEIVE: one request PDU in, the first reply PDU out. */
  transceive(pdu: Buffer): Promise<Buffer>;
  close(): void;
}
