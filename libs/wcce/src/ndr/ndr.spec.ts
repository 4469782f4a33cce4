import { WcceProtocolError } from '../errors.js';
import { NdrDecoder } from './decoder.js';
import { NdrEncoder } from './encoder.js';

const hex = (b: Buffer): string => b.toString('hex');

describe(NdrEncoder.name, () => {
  it.each([
    ['u8 then u32 pads to 4', (e: NdrEncoder) => e.u8(1).u32(2), '01000000' + '02000000'],
    ['u16 then u16 needs no pad', (e: NdrEncoder) => e.u16(1).u16(2), '0100' + '0200'],
    ['u8 then u64 pads to 8', (e: NdrEncoder) => e.u8(1).u64(2n), '01' + '00'.repeat(7) + '0200000000000000'],
    ['bytes never pad, the next u32 does', (e: NdrEncoder) => e.bytes(Buffer.from('aabbcc', 'hex')).u32(1), 'aabbcc00' + '01000000'],
    ['a stub never ends with padding', (e: NdrEncoder) => e.u32(1).u8(2), '01000000' + '02'],
  ])('%s', (_name, write, expected) => {
    const sut = new NdrEncoder();
    write(sut);
    expect(hex(sut.toBuffer())).toBe(expected);
  });

  it('writes a top-level [unique, string] wchar_t* with its pointee inline', () => {
    const sut = new NdrEncoder();
    sut.pointer('unique', 'ab', (s) => sut.wstring(s));
    // referent, max 3, offset 0, actual 3, "ab\0"
    expect(hex(sut.toBuffer())).toBe('00000200' + '03000000' + '00000000' + '03000000' + '610062000000');
  });

  it('writes a NULL unique pointer as referent 0 and refuses a NULL ref pointer', () => {
    const sut = new NdrEncoder();
    sut.pointer('unique', null, () => undefined);
    expect(hex(sut.toBuffer())).toBe('00000000');
    expect(() => new NdrEncoder().pointer('ref', null, () => undefined)).toThrow(RangeError);
  });

  it('writes a top-level [ref] pointer as its pointee only', () => {
    const sut = new NdrEncoder();
    sut.pointer('ref', 7, (v) => sut.u32(v));
    expect(hex(sut.toBuffer())).toBe('07000000');
  });

  it('defers embedded pointees to the end of the outermost struct, depth first', () => {
    // struct S { A* p1; B* p2; } with A { X* q; u32 a; }: order S, A, X, B
    const sut = new NdrEncoder({ firstReferent: 1, referentStep: 1 });
    sut.struct(() => {
      sut.pointer('unique', 'A', () =>
        sut.struct(() => {
          sut.pointer('unique', 'X', () => sut.u32(0xaa));
          sut.u32(0xa);
        }),
      );
      sut.pointer('unique', 'B', () => sut.u32(0xb));
    });
    expect(hex(sut.toBuffer())).toBe(['01000000', '02000000', '03000000', '0a000000', 'aa000000', '0b000000'].join(''));
  });

  it('gives an embedded [ref] pointer a referent id', () => {
    const sut = new NdrEncoder({ firstReferent: 9 });
    sut.struct(() => sut.pointer('ref', 5, (v) => sut.u32(v)));
    expect(hex(sut.toBuffer())).toBe('09000000' + '05000000');
  });

  it('marshals an aliased full pointer once and repeats its referent id', () => {
    const shared = { v: 1 };
    const sut = new NdrEncoder({ firstReferent: 0x10 });
    sut.struct(() => {
      sut.pointer('full', shared, (o) => sut.u32(o.v));
      sut.pointer('full', shared, (o) => sut.u32(o.v));
    });
    expect(hex(sut.toBuffer())).toBe('10000000' + '10000000' + '01000000');
  });

  it.each([
    ['conformant array', (e: NdrEncoder) => e.conformantArray([1, 2], (v) => e.u16(v)), '02000000' + '0100' + '0200'],
    ['conformant varying array', (e: NdrEncoder) => e.conformantVaryingArray([7], (v) => e.u32(v), 4), '04000000' + '00000000' + '01000000' + '07000000'],
    ['conformant bytes', (e: NdrEncoder) => e.conformantBytes(Buffer.from('0102', 'hex')), '02000000' + '0102'],
    ['wchar array (RPC_UNICODE_STRING buffer)', (e: NdrEncoder) => e.wcharArray('ab', 3), '03000000' + '00000000' + '02000000' + '61006200'],
    ['context handle', (e: NdrEncoder) => e.u8(1).contextHandle(Buffer.alloc(20, 0xcc)), '01000000' + 'cc'.repeat(20)],
  ])('%s', (_name, write, expected) => {
    const sut = new NdrEncoder();
    write(sut);
    expect(hex(sut.toBuffer())).toBe(expected);
  });
});

describe(NdrDecoder.name, () => {
  it('reads aligned primitives and skips whatever the pad bytes hold', () => {
    const sut = new NdrDecoder(Buffer.from('01abab' + 'ab' + '02000000' + '0300', 'hex'), 'T');
    expect([sut.u8('a'), sut.u32('b'), sut.u16('c')]).toEqual([1, 2, 3]);
    expect(sut.remaining).toBe(0);
  });

  it('round-trips the depth-first deferred layout', () => {
    const enc = new NdrEncoder();
    enc.struct(() => {
      enc.u32(1);
      enc.pointer('unique', 'hello', (s) => enc.wstring(s));
      enc.pointer('unique', null, () => undefined);
      enc.pointer('unique', Buffer.from('beef', 'hex'), (b) => enc.conformantBytes(b));
    });
    const sut = new NdrDecoder(enc.toBuffer(), 'S');
    const out: { n: number; s: string | null; none: string | null; b: Buffer | null } = { n: 0, s: null, none: 'x', b: null };
    sut.struct(() => {
      out.n = sut.u32('n');
      sut.pointer(
        'unique',
        's',
        () => sut.wstring('s'),
        (v) => (out.s = v),
      );
      sut.pointer(
        'unique',
        'none',
        () => sut.wstring('none'),
        (v) => (out.none = v),
      );
      sut.pointer(
        'unique',
        'b',
        () => sut.conformantBytes('b'),
        (v) => (out.b = v),
      );
    });
    sut.end();
    expect(out).toEqual({ n: 1, s: 'hello', none: null, b: Buffer.from('beef', 'hex') });
  });

  it('resolves an aliased full pointer to the same pointee', () => {
    const sut = new NdrDecoder(Buffer.from('10000000' + '10000000' + '01000000', 'hex'), 'S');
    const got: Array<number | null> = [];
    sut.struct(() => {
      sut.pointer(
        'full',
        'a',
        () => sut.u32('a'),
        (v) => got.push(v),
      );
      sut.pointer(
        'full',
        'b',
        () => sut.u32('b'),
        (v) => got.push(v),
      );
    });
    expect(got).toEqual([1, 1]);
  });

  it.each([
    ['a truncated u32', '0100', (d: NdrDecoder) => d.u32('flags'), 'flags', 0],
    [
      'a NULL [ref] pointer',
      '00000000',
      (d: NdrDecoder) =>
        d.struct(() =>
          d.pointer(
            'ref',
            'p',
            () => 0,
            () => undefined,
          ),
        ),
      'p.referentId',
      0,
    ],
    ['a string without NUL', '02000000' + '00000000' + '02000000' + '61006200', (d: NdrDecoder) => d.wstring('name'), 'name', 12],
    ['actual_count beyond max_count', '01000000' + '00000000' + '02000000', (d: NdrDecoder) => d.wstring('name'), 'name.actualCount', 8],
    ['a count above the limit', 'ffffffff', (d: NdrDecoder) => d.conformantBytes('pb'), 'pb.maxCount', 0],
    ['bytes past the end', '08000000' + '0102', (d: NdrDecoder) => d.conformantBytes('pb'), 'pb', 4],
    ['trailing bytes', '01000000' + 'ff', (d: NdrDecoder) => (d.u32('x'), d.end()), 'end', 4],
  ])('reports %s with the field and offset', (_name, data, read, field, offset) => {
    const sut = new NdrDecoder(Buffer.from(data, 'hex'), 'Stub', { maxElements: 1 << 20 });
    try {
      read(sut);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WcceProtocolError);
      expect([(e as WcceProtocolError).field, (e as WcceProtocolError).offset]).toEqual([field, offset]);
    }
  });

  it('reads a context handle as 20 aligned bytes', () => {
    const sut = new NdrDecoder(Buffer.from('01000000' + '11'.repeat(20), 'hex'), 'S');
    sut.u8('x');
    expect(hex(sut.contextHandle('h'))).toBe('11'.repeat(20));
  });
});
