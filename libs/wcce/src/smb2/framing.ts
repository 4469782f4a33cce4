import { WcceProtocolError } from '../errors.js';

/**
 * Direct TCP transport (MS-SMB2 2.1): every SMB2 message is preceded by a 4-byte header,
 * a zero byte and a 24-bit big-endian StreamProtocolLength.
 */
export const MAX_STREAM_PROTOCOL_LENGTH = 0xffffff;

export function frame(message: Buffer): Buffer {
  if (message.length > MAX_STREAM_PROTOCOL_LENGTH) throw new RangeError(`SMB2 message of ${message.length} bytes does not fit a direct-TCP frame`);
  const out = Buffer.allocUnsafe(4 + message.length);
  out.writeUInt32BE(message.length, 0);
  message.copy(out, 4);
  return out;
}

/**
 * Reassembles frames from TCP chunks. Bounded: a frame longer than `maxFrame` or a non-zero first
 * byte is a protocol error (never an unbounded allocation driven by the peer).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private total = 0;

  constructor(private readonly maxFrame: number = 8 * 1024 * 1024) {}

  /** Adds bytes; returns the whole frames now available (without their 4-byte headers). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      if (head[0] !== 0)
        throw new WcceProtocolError(
          'DirectTcpHeader',
          'Zero',
          this.total,
          `first byte 0x${head[0]!.toString(16)} is not 0 (NetBIOS session messages are not supported)`,
        );
      const length = head.readUInt32BE(0);
      if (length > this.maxFrame)
        throw new WcceProtocolError('DirectTcpHeader', 'StreamProtocolLength', this.total + 1, `${length} exceeds the ${this.maxFrame}-byte limit`);
      if (length < 4) throw new WcceProtocolError('DirectTcpHeader', 'StreamProtocolLength', this.total + 1, `${length} is too short for an SMB2 message`);
      if (this.buffered < 4 + length) break;
      const whole = this.take(4 + length);
      out.push(whole.subarray(4));
      this.total += 4 + length;
    }
    return out;
  }

  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const head = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }
}
