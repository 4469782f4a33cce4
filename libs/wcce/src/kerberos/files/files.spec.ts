import { mitKeytab } from '../../../test/vectors/kerberos/mit-files.js';
import { aes128CtsHmacSha1, aes256CtsHmacSha1 } from '../crypto/index.js';
import { parsePrincipal } from '../messages/principal.js';
import { encodeCcache, findCredential, parseCcache, type Ccache } from './ccache.js';
import { encodeKeytab, findKey, parseKeytab } from './keytab.js';

describe(parseKeytab.name, () => {
  const file = Buffer.from(mitKeytab.file, 'hex');

  it('reads a keytab written by MIT ktutil', () => {
    const sut = parseKeytab(file);
    expect(sut).toHaveLength(2);
    expect(sut[0]!.principal).toEqual({ name: { nameType: 1, nameString: ['alice'] }, realm: 'TEST.LOCAL' });
    expect(sut[0]!.kvno).toBe(3);
    expect(sut[0]!.key).toEqual({ etype: 18, value: Buffer.from(mitKeytab.aes256, 'hex') });
    expect(sut[1]!.key).toEqual({ etype: 17, value: Buffer.from(mitKeytab.aes128, 'hex') });
  });

  it('MIT keys equal our RFC 3962 string-to-key of the same password and salt', () => {
    expect(aes256CtsHmacSha1.stringToKey(mitKeytab.password, mitKeytab.salt).toString('hex')).toBe(mitKeytab.aes256);
    expect(aes128CtsHmacSha1.stringToKey(mitKeytab.password, mitKeytab.salt).toString('hex')).toBe(mitKeytab.aes128);
  });

  it('encodes the same bytes back, and finds keys by principal and etype preference', () => {
    const entries = parseKeytab(file);
    expect(encodeKeytab(entries).toString('hex')).toBe(mitKeytab.file);
    expect(findKey(entries, parsePrincipal('ALICE@test.local'), [17, 18])!.key.etype).toBe(17);
    expect(findKey(entries, parsePrincipal('bob@TEST.LOCAL'), [18])).toBeUndefined();
  });

  it('skips holes (negative sizes) and reports truncation with the field', () => {
    const hole = Buffer.concat([Buffer.from('0502fffffffc00000000', 'hex'), file.subarray(2)]);
    expect(parseKeytab(hole)).toHaveLength(2);
    expect(() => parseKeytab(file.subarray(0, 40))).toThrow(expect.objectContaining({ code: 'PROTOCOL', structure: 'keytab' }));
    expect(() => parseKeytab(Buffer.from('0501', 'hex'))).toThrow(expect.objectContaining({ field: 'version' }));
  });
});

describe(parseCcache.name, () => {
  const alice = parsePrincipal('alice@TEST.LOCAL');
  const tgt = parsePrincipal('krbtgt/TEST.LOCAL@TEST.LOCAL');
  const now = new Date(Date.UTC(2025, 0, 1, 12));
  const cache: Ccache = {
    defaultPrincipal: alice,
    timeOffset: { seconds: -3, microseconds: 500 },
    credentials: [
      {
        client: alice,
        server: tgt,
        key: { etype: 18, value: Buffer.alloc(32, 1) },
        authtime: now,
        starttime: now,
        endtime: new Date(now.getTime() + 36_000_000),
        renewTill: new Date(now.getTime() + 86_400_000),
        isSkey: false,
        ticketFlags: 0x40e10000,
        ticket: Buffer.from('6100', 'hex'),
      },
    ],
  };

  it('round-trips v4 with a time-offset header tag', () => {
    const sut = parseCcache(encodeCcache(cache));
    expect(sut).toEqual(cache);
    expect(findCredential(sut, tgt, now)!.key.etype).toBe(18);
    expect(findCredential(sut, tgt, new Date(now.getTime() + 40_000_000))).toBeUndefined();
  });

  it('truncated files are PROTOCOL errors', () => {
    expect(() => parseCcache(encodeCcache(cache).subarray(0, 50))).toThrow(expect.objectContaining({ code: 'PROTOCOL', structure: 'ccache' }));
  });
});
