import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase, type StoreDatabase } from '../index.js';
import { withDatabases } from '../../../../test/support/databases.js';
import { RaKeyCipher, RaKeyDecryptionError } from './ra-key-cipher.js';
import { ScepRaIdentityRepository, type RaClaim } from './ra-identities.repository.js';

const databases = await withDatabases();
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nTUlJLW5vdC1hLXJlYWwta2V5\n-----END PRIVATE KEY-----\n';

describe(RaKeyCipher.name, () => {
  const cipher = new RaKeyCipher(randomBytes(32));

  it('seals with AES-256-GCM: a fresh IV each time, opens only with the same key and row', () => {
    const a = cipher.seal(KEY_PEM, 'r/1');
    expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(cipher.seal(KEY_PEM, 'r/1')).not.toBe(a);
    expect(cipher.open(a, 'r/1')).toBe(KEY_PEM);
    expect(() => cipher.open(a, 'r/2')).toThrow(RaKeyDecryptionError);
    expect(() => new RaKeyCipher(randomBytes(32)).open(a, 'r/1')).toThrow(RaKeyDecryptionError);
    const [v, iv, tag, ct] = a.split('.');
    expect(() => cipher.open([v, iv, tag!.slice(0, 8), ct].join('.'), 'r/1')).toThrow(RaKeyDecryptionError);
  });

  it('takes base64 of exactly 32 bytes and never prints the key', () => {
    const raw = randomBytes(32);
    expect(RaKeyCipher.fromBase64(raw.toString('base64'))).toBeInstanceOf(RaKeyCipher);
    expect(RaKeyCipher.fromBase64(raw.toString('base64url'))).toBeInstanceOf(RaKeyCipher);
    expect(RaKeyCipher.fromBase64(randomBytes(16).toString('base64'))).toBeUndefined();
    expect(RaKeyCipher.fromBase64('not base64!')).toBeUndefined();
    const sut = RaKeyCipher.fromBase64(raw.toString('base64'))!;
    expect(`${String(sut)} ${JSON.stringify({ sut })}`).not.toContain(raw.toString('base64'));
  });
});

describe.each(databases)('ScepRaIdentityRepository on $name', ({ open }) => {
  let db: StoreDatabase;
  let cleanup: () => Promise<void>;
  const cipher = new RaKeyCipher(randomBytes(32));
  const claim = (usage: 'signing' | 'encryption', generation: number, tag = ''): RaClaim => ({
    usage,
    generation,
    requestKey: `ra-${usage}-${generation}${tag}`,
    template: usage === 'signing' ? 'EnrollmentAgentOffline' : 'CEPEncryption',
    csr: Buffer.from(`csr-${usage}-${generation}${tag}`),
    privateKeyPem: KEY_PEM,
  });
  const issue = (serial: string) => ({ certificatePem: `CERT ${serial}`, serial, chainPem: 'CHAIN', notAfter: new Date('2027-01-01T00:00:00Z') });

  beforeAll(async () => {
    const opened = await open();
    cleanup = opened.cleanup;
    db = openDatabase(opened.url);
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db?.close();
    await cleanup?.();
  });

  it('one claim per (usage, generation) wins, whoever races for it; the loser sees the winner’s row', async () => {
    const a = new ScepRaIdentityRepository(db, cipher);
    const b = new ScepRaIdentityRepository(db, cipher);
    const results = await Promise.all([a.claim(claim('signing', 1, 'a')), b.claim(claim('signing', 1, 'b')), a.claim(claim('signing', 1, 'c'))]);
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const latest = await b.latest('signing');
    expect(latest).toMatchObject({ id: winners[0]!.id, status: 'pending', generation: 1, privateKeyPem: KEY_PEM, certificatePem: null });
    expect(latest!.csr).toEqual(winners[0]!.csr);
    // another usage has its own generations
    expect(await a.claim(claim('encryption', 1))).toBeDefined();
  });

  it('completes a pending row once (compare-and-set); issued rows are listed newest first', async () => {
    const sut = new ScepRaIdentityRepository(db, cipher, { now: () => new Date('2026-01-01T00:00:00Z') });
    const pending = (await sut.latest('signing'))!;
    expect(await sut.markIssued(pending.id, issue('0a'))).toBe(true);
    expect(await sut.markIssued(pending.id, issue('0b'))).toBe(false);
    const second = (await sut.claim(claim('signing', 2)))!;
    expect(await sut.issued('signing', 5)).toMatchObject([{ generation: 1, serial: '0a', status: 'issued', certificatePem: 'CERT 0a', chainPem: 'CHAIN' }]);
    expect(await sut.markIssued(second.id, issue('0c'))).toBe(true);
    const issued = await sut.issued('signing', 5);
    expect(issued.map((i) => [i.generation, i.serial, i.notAfter, i.issuedAt])).toEqual([
      [2, '0c', '2027-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
      [1, '0a', '2027-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    ]);
  });

  it('a refused request is discarded (pending rows only) and its generation claimed again', async () => {
    const sut = new ScepRaIdentityRepository(db, cipher);
    const refused = (await sut.claim(claim('signing', 3)))!;
    expect(await sut.discardPending(refused.id)).toBe(true);
    expect((await sut.latest('signing'))?.generation).toBe(2);
    expect(await sut.discardPending((await sut.latest('signing'))!.id)).toBe(false);
    expect(await sut.claim(claim('signing', 3, 'again'))).toMatchObject({ generation: 3, requestKey: 'ra-signing-3again' });
  });

  it('stores the private key only sealed; another key encryption key cannot read it', async () => {
    const rows = await db.db.withTables<{ scep_ra_identities: { private_key: string } }>().selectFrom('scep_ra_identities').select('private_key').execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.private_key).toMatch(/^v1\./);
      expect(r.private_key).not.toContain('PRIVATE KEY');
      expect(r.private_key).not.toContain('TUlJ');
    }
    const wrong = new ScepRaIdentityRepository(db, new RaKeyCipher(randomBytes(32)));
    await expect(wrong.latest('signing')).rejects.toThrow(RaKeyDecryptionError);
  });
});
