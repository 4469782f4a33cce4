import { openTestRedis, type TestRedis } from '../../../../test/support/redis.js';
import { NonceStore } from './nonce-store.js';

describe(NonceStore.name, () => {
  let redis: TestRedis;
  let sut: NonceStore;

  beforeAll(async () => {
    redis = await openTestRedis();
    sut = new NonceStore(redis.client, redis.prefix, 60);
  });
  afterAll(async () => {
    await redis.cleanup();
  });

  it('accepts an issued nonce once', async () => {
    const nonce = await sut.issue();
    expect(await sut.consume(nonce)).toBe(true);
    expect(await sut.consume(nonce)).toBe(false);
  });

  it('spends the nonce and issues the next one in one call; the next is single-use too', async () => {
    const first = await sut.issue();
    const a = await sut.consumeAndIssue(first);
    expect(a.valid).toBe(true);
    expect(a.next).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await sut.consumeAndIssue(first)).toEqual({ valid: false, next: expect.any(String) });
    const b = await sut.consumeAndIssue(a.next);
    expect(b.valid).toBe(true);
    expect(await sut.consume(a.next)).toBe(false);
    expect(await sut.consume(b.next)).toBe(true);
  });

  it('issues a usable next nonce when the presented one is unknown or malformed', async () => {
    for (const bad of ['AAAAAAAAAAAAAAAAAAAAAA', 'not a nonce!', '']) {
      const { valid, next } = await sut.consumeAndIssue(bad);
      expect(valid).toBe(false);
      expect(await sut.consume(next)).toBe(true);
    }
  });

  it('stores nonces with the configured lifetime under the prefix', async () => {
    const { next } = await sut.consumeAndIssue(await sut.issue());
    const ttl = await redis.client.ttl(`${redis.prefix}:acme:nonce:${next}`);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('lets exactly one of two concurrent requests spend a nonce (replicas share Redis)', async () => {
    const nonce = await sut.issue();
    const connection = redis.client.duplicate();
    const other = new NonceStore(connection, redis.prefix, 60);
    const results = await Promise.all([sut.consumeAndIssue(nonce), other.consumeAndIssue(nonce)]);
    connection.disconnect();
    expect(results.map((r) => r.valid).sort()).toEqual([false, true]);
  });

  it('reads one more key in the same round trip when asked (the account version check)', async () => {
    const key = `${redis.prefix}:acme:account-version:x`;
    expect((await sut.consumeAndIssue(await sut.issue(), key)).got).toBeNull();
    await redis.client.set(key, 'v1');
    expect(await sut.consumeAndIssue(await sut.issue(), key)).toEqual({ valid: true, next: expect.any(String), got: 'v1' });
    expect(await sut.consumeAndIssue('AAAAAAAAAAAAAAAAAAAAAA', key)).toEqual({ valid: false, next: expect.any(String), got: 'v1' });
    expect(await sut.consumeAndIssue(await sut.issue())).not.toHaveProperty('got');
  });
});
