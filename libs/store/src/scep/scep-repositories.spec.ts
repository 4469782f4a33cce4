import { migrateToLatest, openDatabase, type StoreDatabase } from '../index.js';
import { withDatabases } from '../../../../test/support/databases.js';
import { ScepChallengeRepository } from './challenges.repository.js';
import { ScepTransactionRepository } from './transactions.repository.js';

const databases = await withDatabases();

describe.each(databases)('SCEP repositories on $name', ({ open }) => {
  let db: StoreDatabase;
  let cleanup: () => Promise<void>;
  let now = new Date('2026-01-01T00:00:00Z');

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

  describe(ScepChallengeRepository.name, () => {
    it('a challenge is consumed once; the same request key may present it again; another may not', async () => {
      const sut = new ScepChallengeRepository(db, { now: () => now });
      await sut.mint({ password: 'ONE', ttlMs: 3600_000, cacheSize: 10, source: 'api' });
      expect(await sut.consume('ONE', 'req-a', 'default')).toMatchObject({ ok: true, replay: false });
      expect(await sut.consume('ONE', 'req-a', 'default')).toMatchObject({ ok: true, replay: true });
      expect(await sut.consume('ONE', 'req-b', 'default')).toEqual({ ok: false, reason: 'consumed' });
      expect(await sut.consume('NOPE', 'req-b', 'default')).toEqual({ ok: false, reason: 'unknown' });
    });

    it('expires after its lifetime, and a profile-bound challenge is refused elsewhere', async () => {
      const sut = new ScepChallengeRepository(db, { now: () => now });
      await sut.mint({ password: 'TWO', ttlMs: 60_000, cacheSize: 10, source: 'api', profile: 'intune' });
      expect(await sut.consume('TWO', 'x', 'default')).toEqual({ ok: false, reason: 'wrong-profile' });
      now = new Date(now.getTime() + 61_000);
      expect(await sut.consume('TWO', 'x', 'intune')).toEqual({ ok: false, reason: 'expired' });
    });

    it('the cache size bounds open challenges (NDES PasswordMax)', async () => {
      const sut = new ScepChallengeRepository(db, { now: () => now });
      const open = await sut.countOpen();
      expect(await sut.mint({ password: 'C1', ttlMs: 60_000, cacheSize: open + 1, source: 'mscep_admin' })).toBeDefined();
      expect(await sut.mint({ password: 'C2', ttlMs: 60_000, cacheSize: open + 1, source: 'mscep_admin' })).toBeUndefined();
    });

    it('stores only a hash of the password', async () => {
      const sut = new ScepChallengeRepository(db, { now: () => now });
      await sut.mint({ password: 'SECRET-PW', ttlMs: 60_000, cacheSize: 100, source: 'api' });
      const rows = await db.db
        .withTables<{ scep_challenges: { challenge_sha256: string } }>()
        .selectFrom('scep_challenges')
        .select('challenge_sha256')
        .execute();
      expect(JSON.stringify(rows)).not.toContain('SECRET-PW');
    });
  });

  describe(ScepTransactionRepository.name, () => {
    it('is idempotent per request key, kept for the retention after its last use, then purged', async () => {
      const sut = new ScepTransactionRepository(db, { retentionMs: 24 * 3600_000, now: () => now });
      const tx = { requestKey: 'p|k|t1', transactionId: 't1', profile: 'default', signerKeySha256: 'ab', messageType: 19, csrSha256: 'cd', challengeId: null };
      expect((await sut.createOrGet(tx)).created).toBe(true);
      expect((await sut.createOrGet(tx)).created).toBe(false);
      now = new Date(now.getTime() + 23 * 3600_000);
      await sut.touch('p|k|t1', '0a1b');
      now = new Date(now.getTime() + 23 * 3600_000);
      expect((await sut.get('p|k|t1'))?.certificateSerial).toBe('0a1b');
      expect((await sut.findByCertificateSerial('0a1b'))?.requestKey).toBe('p|k|t1');
      now = new Date(now.getTime() + 2 * 3600_000);
      expect(await sut.get('p|k|t1')).toBeUndefined();
      expect(await sut.purgeExpired()).toBe(1);
    });
  });
});
