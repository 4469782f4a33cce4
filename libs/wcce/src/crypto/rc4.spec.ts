import { Rc4, rc4k } from './rc4.js';

// RFC 6229 section 2: keystream bytes at the given offsets.
interface Rfc6229Vector {
  key: string;
  blocks: ReadonlyArray<[offset: number, keystream: string]>;
}

const RFC6229: ReadonlyArray<Rfc6229Vector> = [
  {
    key: '0102030405',
    blocks: [
      [0, 'b2396305f03dc027ccc3524a0a1118a8'],
      [16, '6982944f18fc82d589c403a47a0d0919'],
      [240, '28cb1132c96ce286421dcaadb8b69eae'],
      [256, '1cfcf62b03eddb641d77dfcf7f8d8c93'],
      [496, '42b7d0cdd918a8a33dd51781c81f4041'],
      [512, '6459844432a7da923cfb3eb4980661f6'],
      [752, 'ec10327bde2beefd18f9277680457e22'],
      [768, 'eb62638d4f0ba1fe9fca20e05bf8ff2b'],
      [1008, '45129048e6a0ed0b56b490338f078da5'],
      [1024, '30abbcc7c20b01609f23ee2d5f6bb7df'],
      [1520, '3294f744d8f9790507e70f62e5bbceea'],
      [1536, 'd8729db41882259bee4f825325f5a130'],
      [2032, '1eb14a0c13b3bf47fa2a0ba93ad45b8b'],
      [2048, 'cc582f8ba9f265e2b1be9112e975d2d7'],
    ],
  },
  { key: '0102030405060708090a0b0c0d0e0f10', blocks: [[0, '9ac7cc9a609d1ef7b2932899cde41b97']] },
  {
    key: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
    blocks: [[0, 'eaa6bd25880bf93d3f5d1e4ca2611d91']],
  },
  {
    key: '1ada31d5cf688221c109163908ebe51debb46227c6cc8b37641910833222772a',
    blocks: [[4096, '370b1c1fe655916d97fd0d47ca1d72b8']],
  },
];

describe(Rc4.name, () => {
  describe.each(RFC6229)('RFC 6229 key $key', ({ key, blocks }) => {
    it('produces the published keystream from one long call', () => {
      const last = blocks[blocks.length - 1]![0] + 16;
      const sut = new Rc4(Buffer.from(key, 'hex'));
      const stream = sut.keystream(last);
      for (const [offset, expected] of blocks) {
        expect(stream.subarray(offset, offset + 16).toString('hex')).toBe(expected);
      }
    });

    it('keeps its keystream position across calls of odd sizes (as NTLM sealing needs)', () => {
      const sut = new Rc4(Buffer.from(key, 'hex'));
      let position = 0;
      for (const [offset, expected] of blocks) {
        // Advance to the block in uneven steps, then read it in two uneven halves.
        while (position < offset) {
          const step = Math.min(7, offset - position);
          sut.keystream(step);
          position += step;
        }
        const head = sut.keystream(5);
        const tail = sut.keystream(11);
        position += 16;
        expect(Buffer.concat([head, tail]).toString('hex')).toBe(expected);
      }
    });
  });

  it('decrypts what it encrypted with a fresh handle on the same key', () => {
    const key = Buffer.from('0102030405', 'hex');
    const plaintext = Buffer.from('sealed stub bytes');
    const sut = new Rc4(key);
    expect(new Rc4(key).update(sut.update(plaintext))).toEqual(plaintext);
  });

  it('refuses an empty key', () => {
    expect(() => new Rc4(Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe(rc4k.name, () => {
  it('is RC4 with a fresh key schedule (RFC 6229 key 0x0102030405, offset 0)', () => {
    const sut = rc4k;
    expect(sut(Buffer.from('0102030405', 'hex'), Buffer.alloc(16)).toString('hex')).toBe('b2396305f03dc027ccc3524a0a1118a8');
  });
});

describe('Rc4.clone', () => {
  it('continues the keystream independently of the original', () => {
    const sut = new Rc4(Buffer.from('0102030405', 'hex'));
    sut.keystream(16);
    const copy = sut.clone();
    expect(copy.keystream(16).toString('hex')).toBe('6982944f18fc82d589c403a47a0d0919');
    expect(sut.keystream(16).toString('hex')).toBe('6982944f18fc82d589c403a47a0d0919');
  });
});
