import { formatCertId, parseCertId } from './cert-id.js';

describe(parseCertId.name, () => {
  // RFC 9773 §4.1 example: AKI 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial 00:87:65:43:21.
  it('decodes the RFC 9773 example and drops the DER sign octet of the serial', () => {
    expect(parseCertId('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')).toEqual({ aki: '69885b6b87464041e1b37b847ba0ae2cde01c8d4', serial: '87654321' });
  });

  it('formats what it parses (with the sign octet a client adds)', () => {
    expect(formatCertId('69885b6b87464041e1b37b847ba0ae2cde01c8d4', '87654321')).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });

  it.each(['nodot', 'a.b.c', '.AQ', 'AQ.'])('refuses %j as malformed', (text) => {
    expect(() => parseCertId(text)).toThrow(expect.objectContaining({ type: 'malformed' }));
  });
});
