import { WcceProtocolError } from '../errors.js';
import { FrameDecoder, frame } from './framing.js';

describe(FrameDecoder.name, () => {
  it('reassembles frames split across and joined within TCP chunks (MS-SMB2 2.1)', () => {
    const sut = new FrameDecoder();
    const a = frame(Buffer.alloc(70, 1));
    const b = frame(Buffer.alloc(100, 2));
    const wire = Buffer.concat([a, b]);
    expect(sut.push(wire.subarray(0, 3))).toEqual([]);
    expect(sut.push(wire.subarray(3, 80))).toEqual([Buffer.alloc(70, 1)]);
    expect(sut.push(wire.subarray(80))).toEqual([Buffer.alloc(100, 2)]);
    expect(sut.pending).toBe(0);
  });

  it('refuses a NetBIOS session-service header and a frame over the limit before buffering it', () => {
    expect(() => new FrameDecoder().push(Buffer.from('81000044', 'hex'))).toThrow(WcceProtocolError);
    expect(() => new FrameDecoder(1024).push(Buffer.from('00000401', 'hex'))).toThrow(expect.objectContaining({ field: 'StreamProtocolLength' }));
  });

  it('writes the 24-bit big-endian length after a zero byte', () => {
    expect(frame(Buffer.alloc(0x012345)).subarray(0, 4).toString('hex')).toBe('00012345');
  });
});
