import { Secret } from '@enrollgate/platform';
import { ntHash } from '@enrollgate/wcce';
import { AccountStore } from './accounts.js';

describe(AccountStore.name, () => {
  const sut = new AccountStore([
    { name: 'svc-enroll', password: new Secret('Passw0rd!') },
    { name: 'Hash-User', ntHash: ntHash('Hash0nly!') },
  ]);

  it('looks accounts up case-insensitively, by password or NT hash, whatever the domain', async () => {
    expect(await sut.lookup('SVC-ENROLL', 'TEST')).toEqual(ntHash('Passw0rd!'));
    expect(await sut.lookup('hash-user', '')).toEqual(ntHash('Hash0nly!'));
    expect(await sut.lookup('hash-user', 'other.domain')).toEqual(ntHash('Hash0nly!'));
  });

  it('knows no other account and lists names only', async () => {
    expect(await sut.lookup('nobody', 'TEST')).toBeUndefined();
    expect(sut.names).toEqual(['svc-enroll', 'hash-user']);
    expect(JSON.stringify(sut.names)).not.toContain('Passw0rd');
  });
});
