import { WcceProtocolError } from '../errors.js';
import { AvFlags, AvId, AvPairs, fileTimeFromDate } from './av-pairs.js';

describe(AvPairs.name, () => {
  it('keeps order, replaces in place and appends new ids (impacket semantics)', () => {
    const sut = new AvPairs().setString(AvId.NB_DOMAIN_NAME, 'D').setString(AvId.NB_COMPUTER_NAME, 'S');
    sut.setString(AvId.NB_DOMAIN_NAME, 'E').set(AvId.FLAGS, Buffer.from([AvFlags.MIC_PRESENT, 0, 0, 0]));
    expect(sut.entries().map((p) => p.id)).toEqual([AvId.NB_DOMAIN_NAME, AvId.NB_COMPUTER_NAME, AvId.FLAGS]);
    expect(sut.getString(AvId.NB_DOMAIN_NAME)).toBe('E');
    expect(sut.flags).toBe(AvFlags.MIC_PRESENT);
  });

  it('round-trips through encode/decode and ignores bytes after MsvAvEOL', () => {
    const sut = new AvPairs().setString(AvId.DNS_COMPUTER_NAME, 'ca01.test.local');
    const decoded = AvPairs.decode(Buffer.concat([sut.encode(), Buffer.alloc(4)]));
    expect(decoded.getString(AvId.DNS_COMPUTER_NAME)).toBe('ca01.test.local');
  });

  it('names AvLen when a pair overruns the list', () => {
    const bytes = Buffer.from('0100ff00410042000000', 'hex');
    expect(() => AvPairs.decode(bytes, 'T')).toThrow(WcceProtocolError);
    expect(() => AvPairs.decode(bytes, 'T')).toThrow(/T\.AvLen/);
  });
});

describe(fileTimeFromDate.name, () => {
  it('converts the Unix epoch to FILETIME 116444736000000000', () => {
    expect(fileTimeFromDate(new Date(0))).toBe(116444736000000000n);
  });
});
