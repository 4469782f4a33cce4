import { Socket } from 'node:net';
import { WcceError } from '../errors.js';

/** A KDC address; port defaults to 88. */
export interface KdcAddress {
  host: string;
  port?: number;
}

/** Largest reply we accept from a KDC (tickets with big PACs stay far below). */
const MAX_REPLY = 1 << 20;

/**
 * One request/reply with a KDC over TCP, RFC 4120 7.2.2: each message is preceded by its length
 * as a 4-byte big-endian integer (high bit reserved, must be 0). One connection per exchange.
 */
export function kdcExchange(kdc: KdcAddress, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const port = kdc.port ?? 88;
  const where = `${kdc.host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (err: WcceError | undefined, reply?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new WcceError('TIMEOUT', `KDC ${where} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (e: NodeJS.ErrnoException) => finish(new WcceError('TRANSPORT', `KDC ${where}: ${e.code ?? e.message}`, { cause: e })));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const length = received.readUInt32BE(0);
      if (length & 0x80000000 || length > MAX_REPLY) {
        finish(new WcceError('PROTOCOL', `KDC ${where} sent a ${length >>> 0}-byte length prefix`));
        return;
      }
      if (received.length >= 4 + length) finish(undefined, received.subarray(4, 4 + length));
    });
    socket.on('close', () => finish(new WcceError('TRANSPORT', `KDC ${where} closed the connection before a complete reply`)));
    socket.connect(port, kdc.host, () => {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(message.length, 0);
      socket.write(Buffer.concat([prefix, message]));
    });
  });
}
