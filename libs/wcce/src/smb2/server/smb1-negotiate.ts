import { ByteReader } from '../../util/reader.js';

/**
 * The one SMB1 message an SMB2 server must understand: a multi-protocol SMB_COM_NEGOTIATE
 * ([MS-CIFS] 2.2.4.52.1), which impacket still sends first. MS-SMB2 3.3.5.3.1: answer it with an
 * SMB2 NEGOTIATE response for "SMB 2.002" (0x0202) or, when "SMB 2.???" is offered and the server
 * speaks more, the wildcard 0x02FF so the client follows up with an SMB2 NEGOTIATE.
 */
export const SMB1_COM_NEGOTIATE = 0x72;

export function isSmb1Message(msg: Buffer): boolean {
  return msg.length >= 4 && msg.readUInt32BE(0) === 0xff534d42;
}

/** The dialect strings of an SMB1 NEGOTIATE request. */
export function decodeSmb1NegotiateDialects(msg: Buffer): string[] {
  const r = new ByteReader(msg, 'SMB1Negotiate');
  r.skip(4, 'Protocol');
  const command = r.u8('Command');
  if (command !== SMB1_COM_NEGOTIATE) r.fail('Command', `SMB1 command 0x${command.toString(16)} is not NEGOTIATE`, 4);
  r.seek(32, 'Header');
  const wordCount = r.u8('WordCount');
  r.skip(wordCount * 2, 'Words');
  const byteCount = r.u16('ByteCount');
  const bytes = r.bytes(byteCount, 'Dialects');
  const dialects: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] !== 0x02) r.fail('BufferFormat', `expected 0x02, got 0x${bytes[i]!.toString(16)}`);
    const end = bytes.indexOf(0, i + 1);
    if (end < 0) r.fail('DialectString', 'dialect string without a terminating NUL');
    dialects.push(bytes.subarray(i + 1, end).toString('latin1'));
    i = end + 1;
  }
  return dialects;
}
