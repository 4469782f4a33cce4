import { ByteReader } from '../../util/reader.js';

/** Big-endian extras over ByteReader for the MIT file formats (keytab, ccache). */
export class BigEndianReader extends ByteReader {
  i32be(field: string): number {
    return this.u32be(field) | 0;
  }

  counted16(field: string): Buffer {
    return this.bytes(this.u16be(field), field);
  }

  counted32(field: string): Buffer {
    return this.bytes(this.u32be(field), field);
  }
}
