import { WcceProtocolError } from '../errors.js';
import { ByteReader } from './reader.js';

describe(ByteReader.name, () => {
  it('reads little-endian fields in order', () => {
    const sut = new ByteReader(Buffer.from('0102030405060708090a', 'hex'), 'T');
    expect(sut.u8('a')).toBe(0x01);
    expect(sut.u16('b')).toBe(0x0302);
    expect(sut.u32('c')).toBe(0x07060504);
    expect(sut.remaining).toBe(3);
  });

  it('names the structure, field and offset of a short read', () => {
    const sut = new ByteReader(Buffer.from('0102', 'hex'), 'SMB2Header');
    sut.u8('protocolId');
    try {
      sut.u32('structureSize');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WcceProtocolError);
      const err = e as WcceProtocolError;
      expect([err.structure, err.field, err.offset, err.code]).toEqual(['SMB2Header', 'structureSize', 1, 'PROTOCOL']);
    }
  });

  it('aligns relative to a base offset', () => {
    const sut = new ByteReader(Buffer.alloc(16), 'NDR', 0);
    sut.seek(5).align(4, 2);
    expect(sut.offset).toBe(6);
  });

  it('refuses a slice outside the message', () => {
    const sut = new ByteReader(Buffer.alloc(8), 'X');
    expect(() => sut.slice(4, 8, 'buffer')).toThrow(WcceProtocolError);
  });
});
