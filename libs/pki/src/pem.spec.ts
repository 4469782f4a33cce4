import { decodePem, decodePemFirst, decodePemLabel, derFrom, encodePem, encodePemBlocks } from './pem.js';
import { PkiError } from './errors.js';

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe(encodePem.name, () => {
  it('writes 64-column base64 between BEGIN and END lines', () => {
    const sut = encodePem('CERTIFICATE', bytes(100));
    const lines = sut.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    expect(lines[1]).toHaveLength(64);
    expect(Buffer.from(lines.slice(1, -1).join(''), 'base64')).toEqual(Buffer.from(bytes(100)));
  });
});

describe(decodePem.name, () => {
  it('round-trips several blocks with different labels', () => {
    const text = encodePemBlocks('CERTIFICATE', [bytes(10, 1), bytes(20, 2)]) + encodePem('PRIVATE KEY', bytes(30, 3));
    const sut = decodePem(text);
    expect(sut.map((b) => [b.label, b.der.length])).toEqual([
      ['CERTIFICATE', 10],
      ['CERTIFICATE', 20],
      ['PRIVATE KEY', 30],
    ]);
    expect(sut[1]!.der).toEqual(bytes(20, 2));
  });

  it('accepts CRLF, indentation and text around blocks (openssl x509 -text output)', () => {
    const block = encodePem('CERTIFICATE', bytes(70)).replace(/\n/g, '\r\n    ');
    const sut = decodePem(`Certificate:\r\n  Data: ...\r\n${block}\r\ntrailing words`);
    expect(sut).toHaveLength(1);
    expect(sut[0]!.der).toEqual(bytes(70));
  });

  it('returns RFC 1421 headers so callers can refuse encrypted keys', () => {
    const text = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,0011\n\nAAEC\n-----END RSA PRIVATE KEY-----\n';
    const [sut] = decodePem(text);
    expect(sut!.headers).toEqual({
      'Proc-Type': '4,ENCRYPTED',
      'DEK-Info': 'DES-EDE3-CBC,0011',
    });
    expect(sut!.der).toEqual(Uint8Array.of(0, 1, 2));
  });

  it('returns nothing for text without blocks', () => {
    expect(decodePem('hello')).toEqual([]);
  });

  it.each([
    ['no END line', '-----BEGIN CERTIFICATE-----\nAAAA\n', /no END line/],
    ['mismatched END label', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n', /closed by END PRIVATE KEY/],
    ['invalid base64', '-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n', /not valid base64/],
    ['empty body', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', /empty/],
    ['nested BEGIN', '-----BEGIN CERTIFICATE-----\nAAAA\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /BEGIN inside/],
  ])('rejects %s with BAD_PEM', (_name, text, message) => {
    expect(() => decodePem(text)).toThrow(
      expect.objectContaining({
        code: 'BAD_PEM',
        message: expect.stringMatching(message),
      }),
    );
  });
});

describe(decodePemLabel.name, () => {
  it('filters by label and fails with BAD_PEM when the label is absent', () => {
    const text = encodePem('PRIVATE KEY', bytes(5)) + encodePem('CERTIFICATE', bytes(6));
    expect(decodePemFirst(text, 'CERTIFICATE')).toEqual(bytes(6));
    expect(() => decodePemLabel(text, 'CERTIFICATE REQUEST')).toThrow(PkiError);
  });
});

describe(derFrom.name, () => {
  it.each([
    ['DER bytes', bytes(8)],
    ['PEM text', encodePem('X', bytes(8))],
    ['PEM bytes', new Uint8Array(Buffer.from(encodePem('X', bytes(8))))],
  ])('accepts %s', (_name, input) => {
    expect(derFrom(input, 'X')).toEqual(bytes(8));
  });
});
