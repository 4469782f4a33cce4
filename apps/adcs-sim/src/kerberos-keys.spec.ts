import { ConfigError } from '@enrollgate/platform';
import type { KeytabEntry } from '@enrollgate/wcce';
import { keytabEntryMatches, selectServiceKeys, servicePrincipals } from './kerberos-keys.js';

const entry = (service: string, host: string, etype = 18): KeytabEntry => ({
  principal: { name: { nameType: 3, nameString: [service, host] }, realm: 'TEST.LOCAL' },
  timestamp: 0,
  kvno: 2,
  key: { etype, value: Buffer.alloc(etype === 18 ? 32 : 16) },
});

describe(selectServiceKeys.name, () => {
  // what samba-tool exportkeytab writes for the CA host: host/ and cifs/, AES256 and AES128
  const keytab = [entry('host', 'ca.test.local'), entry('host', 'ca.test.local', 17), entry('cifs', 'ca.test.local'), entry('cifs', 'ca.test.local', 17)];

  it('keeps every key when no service is named', () => {
    expect(selectServiceKeys(keytab, [])).toHaveLength(4);
  });

  it.each([
    ['host/ca.test.local', 2],
    ['HOST/CA.TEST.LOCAL', 2],
    ['cifs/ca.test.local@TEST.LOCAL', 2],
    ['cifs/ca.test.local@test.local', 2],
  ])('narrows to %s', (spec, count) => {
    const sut = selectServiceKeys(keytab, [spec]);
    expect(sut).toHaveLength(count);
    expect(sut.every((k) => keytabEntryMatches(k, spec))).toBe(true);
  });

  it('refuses a keytab without the requested service, naming what it holds', () => {
    expect(() => selectServiceKeys(keytab, ['host/other.test.local'])).toThrow(ConfigError);
    expect(() => selectServiceKeys(keytab, ['host/ca.test.local@OTHER.REALM'])).toThrow(/holds host\/ca.test.local@TEST.LOCAL, cifs\/ca.test.local@TEST.LOCAL/);
  });

  it('lists principals once each for the start-up log', () => {
    expect(servicePrincipals(keytab)).toEqual(['host/ca.test.local@TEST.LOCAL', 'cifs/ca.test.local@TEST.LOCAL']);
  });
});
