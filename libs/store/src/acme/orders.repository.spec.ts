import { withDatabases } from '../../../../test/support/databases.js';
import { migrateToLatest, openDatabase, type StoreDatabase } from '../index.js';
import { EnrollmentRepository } from '../enrollments.repository.js';
import { anEnrollJob, anIssuedResult } from '../testing/fixtures.js';
import { AcmeAccountRepository } from './accounts.repository.js';
import { AcmeOrderRepository, type NewAcmeAuthorization } from './orders.repository.js';

const databases = await withDatabases();

describe.each(databases)('ACME order repository on $name', ({ open }) => {
  let db: StoreDatabase;
  let cleanup: () => Promise<void>;
  let sut: AcmeOrderRepository;
  let seq = 0;
  const id = (p: string) => `${p}${++seq}`;
  const later = '2099-01-01T00:00:00.000Z';

  beforeAll(async () => {
    const opened = await open();
    cleanup = opened.cleanup;
    db = openDatabase(opened.url);
    await migrateToLatest(db);
    sut = new AcmeOrderRepository(db);
  });
  afterAll(async () => {
    await db?.close();
    await cleanup?.();
  });

  async function account(): Promise<{ id: string; thumbprint: string }> {
    const a = { id: id('acct'), thumbprint: id('thumb') };
    await new AcmeAccountRepository(db).create({
      id: a.id,
      jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
      jwkThumbprint: a.thumbprint,
      contact: [],
      termsOfServiceAgreed: true,
      eabKid: null,
    });
    return a;
  }

  const newAuthz = (value: string): NewAcmeAuthorization => ({
    id: id('authz'),
    identifier: { type: 'dns', value },
    wildcard: false,
    expires: later,
    challenges: [
      { id: id('ch'), type: 'http-01', token: id('tok') },
      { id: id('ch'), type: 'dns-01', token: id('tok') },
    ],
  });

  async function order(accountId: string, authorizations: (string | NewAcmeAuthorization)[]) {
    return sut.create({
      id: id('order'),
      accountId,
      identifiers: authorizations.map((_, i) => ({ type: 'dns', value: `n${i}.example.test` })),
      profile: null,
      expires: later,
      replaces: null,
      authorizations,
    });
  }

  it('creates an order with new and reused authorizations, their challenges and the links, atomically', async () => {
    const acct = await account();
    const first = newAuthz('a.example.test');
    await order(acct.id, [first]);
    const second = newAuthz('b.example.test');
    const created = await order(acct.id, [first.id, second]);
    expect(created.authorizationIds).toEqual([first.id, second.id]);
    expect(await sut.getOrder(created.id)).toEqual(created);
    const authzs = await sut.getAuthorizations(created.authorizationIds);
    expect(authzs.map((a) => [a.identifier.value, a.status, a.challenges.length])).toEqual([
      ['a.example.test', 'pending', 2],
      ['b.example.test', 'pending', 2],
    ]);
    // Only reused authorizations: no new rows.
    const reusedOnly = await order(acct.id, [first.id, second.id]);
    expect((await sut.getOrder(reusedOnly.id))?.authorizationIds).toEqual([first.id, second.id]);
  });

  it('creates nothing when any part fails (duplicate challenge id)', async () => {
    const acct = await account();
    const a = newAuthz('c.example.test');
    await order(acct.id, [a]);
    const clash = newAuthz('d.example.test');
    clash.challenges[0]!.id = a.challenges[0]!.id;
    const orderId = id('order');
    await expect(
      sut.create({
        id: orderId,
        accountId: acct.id,
        identifiers: [{ type: 'dns', value: 'd.example.test' }],
        profile: null,
        expires: later,
        replaces: null,
        authorizations: [clash],
      }),
      // Not toThrow(): better-sqlite3's native addon keeps the SqliteError class of the first test
      // file that loaded it in this Jest worker, an Error of another realm.
    ).rejects.toHaveProperty('message', expect.stringMatching(/unique/i));
    expect(await sut.getOrder(orderId)).toBeUndefined();
    expect(await sut.getAuthorization(clash.id)).toBeUndefined();
  });

  it('reads an order with the certificate of its current enrollment, only once that is issued', async () => {
    const acct = await account();
    const created = await order(acct.id, [newAuthz('cert.example.test')]);
    expect(await sut.getOrderWithCertificate(created.id)).toEqual({ order: await sut.getOrder(created.id), certificate: undefined });
    expect(await sut.getOrderWithCertificate('no-such-order')).toBeUndefined();
    const key = `${created.id}.r1`;
    await sut.transitionOrder(created.id, ['pending'], { status: 'processing', enrollmentKey: key });
    const enrollments = new EnrollmentRepository(db);
    await enrollments.createOrGet(anEnrollJob({ requestKey: key }), `job-${key}`);
    // An issued enrollment of another request key (the first, failed submission) is not this order's.
    await enrollments.createOrGet(anEnrollJob({ requestKey: created.id }), `job-${created.id}`);
    await enrollments.recordResult(anIssuedResult({ requestKey: created.id, certificate: 'T0xE' }));
    expect((await sut.getOrderWithCertificate(created.id))?.certificate).toBeUndefined();
    await enrollments.recordResult(anIssuedResult({ requestKey: key, certificate: 'TEVBRg==', chain: ['SVNTVUVS', 'Uk9PVA=='] }));
    const found = await sut.getOrderWithCertificate(created.id);
    expect(found?.certificate).toEqual({ leaf: 'TEVBRg==', chain: ['SVNTVUVS', 'Uk9PVA=='] });
    expect(found?.order).toEqual(await sut.getOrder(created.id));
  });

  it('reads the validation target: authorization, challenges and the account thumbprint in one', async () => {
    const acct = await account();
    const a = newAuthz('e.example.test');
    await order(acct.id, [a]);
    const target = await sut.getValidationTarget(a.challenges[1]!.id);
    expect(target?.accountThumbprint).toBe(acct.thumbprint);
    expect(target?.authorization.id).toBe(a.id);
    expect(target?.authorization.challenges.map((c) => c.type).sort()).toEqual(['dns-01', 'http-01']);
    expect(await sut.getValidationTarget('no-such-challenge')).toBeUndefined();
  });

  it('records a validation once (compare-and-set) and returns the challenge as recorded', async () => {
    const acct = await account();
    const a = newAuthz('f.example.test');
    await order(acct.id, [a]);
    const challengeId = a.challenges[0]!.id;
    expect(await sut.recordChallengeOutcome(challengeId, { status: 'valid', authzExpires: later })).toBeUndefined(); // still pending
    expect(await sut.startChallenge(challengeId)).toBe(true);
    const recorded = await sut.recordChallengeOutcome(challengeId, { status: 'valid', authzExpires: '2098-01-01T00:00:00.000Z' });
    expect(recorded).toMatchObject({ id: challengeId, authorizationId: a.id, status: 'valid', error: null, validated: expect.any(String) });
    expect(await sut.getChallenge(challengeId)).toEqual(recorded);
    expect(await sut.getAuthorization(a.id)).toMatchObject({ status: 'valid', expires: '2098-01-01T00:00:00.000Z' });
    // A second outcome (another replica) changes nothing.
    expect(await sut.completeChallenge(challengeId, { status: 'invalid', error: { type: 'x', detail: 'y', status: 403 } })).toBe(false);
    expect((await sut.getChallenge(challengeId))?.status).toBe('valid');
  });

  it('records an invalid outcome with its problem, and leaves a non-pending authorization alone', async () => {
    const acct = await account();
    const a = newAuthz('g.example.test');
    await order(acct.id, [a]);
    const [c1, c2] = a.challenges.map((c) => c.id) as [string, string];
    await sut.startChallenge(c1);
    await sut.startChallenge(c2);
    const problem = { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'nope', status: 403 };
    expect(await sut.recordChallengeOutcome(c1, { status: 'invalid', error: problem })).toMatchObject({ status: 'invalid', error: problem, validated: null });
    expect((await sut.getAuthorization(a.id))?.status).toBe('invalid');
    // The authorization is final already: the second challenge is recorded, the authorization stays invalid.
    expect(await sut.completeChallenge(c2, { status: 'valid', authzExpires: later })).toBe(true);
    expect((await sut.getAuthorization(a.id))?.status).toBe('invalid');
  });

  it('makes the orders ready whose authorizations the valid outcome completes, and only those', async () => {
    const acct = await account();
    const single = newAuthz('h1.example.test');
    const first = newAuthz('h2.example.test');
    const second = newAuthz('h3.example.test');
    const one = await order(acct.id, [single]);
    const two = await order(acct.id, [first, second]);
    const validate = async (a: NewAcmeAuthorization) => {
      const challengeId = a.challenges[0]!.id;
      expect(await sut.startChallenge(challengeId)).toBe(true);
      expect(await sut.completeChallenge(challengeId, { status: 'valid', authzExpires: later })).toBe(true);
    };
    await validate(single);
    expect((await sut.getOrder(one.id))?.status).toBe('ready');
    await validate(first);
    expect((await sut.getOrder(two.id))?.status).toBe('pending');
    await validate(second);
    expect((await sut.getOrder(two.id))?.status).toBe('ready');
    // A later order reusing the valid authorization with a new one is left to its own validation.
    const fresh = newAuthz('h4.example.test');
    const three = await order(acct.id, [single.id, fresh]);
    await validate(fresh);
    expect((await sut.getOrder(three.id))?.status).toBe('ready');
  });

  it('leaves an order pending when its other authorization expired, when it expired itself, or on an invalid outcome', async () => {
    const acct = await account();
    const past = '2000-01-01T00:00:00.000Z';
    const stale = { ...newAuthz('i1.example.test'), expires: past };
    const a = newAuthz('i2.example.test');
    const withStale = await order(acct.id, [stale, a]);
    // The stale authorization is valid but expired.
    await sut.transitionAuthorization(stale.id, ['pending'], 'valid', past);
    await sut.startChallenge(a.challenges[0]!.id);
    await sut.completeChallenge(a.challenges[0]!.id, { status: 'valid', authzExpires: later });
    expect((await sut.getOrder(withStale.id))?.status).toBe('pending');

    const b = newAuthz('i3.example.test');
    const expiredOrder = await sut.create({
      id: id('order'),
      accountId: acct.id,
      identifiers: [{ type: 'dns', value: 'i3.example.test' }],
      profile: null,
      expires: past,
      replaces: null,
      authorizations: [b],
    });
    await sut.startChallenge(b.challenges[0]!.id);
    await sut.completeChallenge(b.challenges[0]!.id, { status: 'valid', authzExpires: later });
    expect((await sut.getOrder(expiredOrder.id))?.status).toBe('pending');

    const c = newAuthz('i4.example.test');
    const refused = await order(acct.id, [c]);
    await sut.startChallenge(c.challenges[0]!.id);
    await sut.completeChallenge(c.challenges[0]!.id, { status: 'invalid', error: { type: 'x', detail: 'y', status: 403 } });
    expect((await sut.getOrder(refused.id))?.status).toBe('pending');
  });

  it('starts a challenge on the client’s response only for the owner of a pending, unexpired authorization', async () => {
    const acct = await account();
    const other = await account();
    const a = newAuthz('j1.example.test');
    await order(acct.id, [a]);
    const [c1, c2] = a.challenges.map((c) => c.id) as [string, string];
    const statusOf = (r: { authorization: { challenges: { id: string; status: string }[] } } | undefined, id: string) =>
      r?.authorization.challenges.find((c) => c.id === id)?.status;

    const foreign = await sut.respondToChallenge(c1, other.id);
    expect(foreign?.started).toBe(false);
    expect(foreign?.authorization.accountId).toBe(acct.id);
    expect((await sut.getChallenge(c1))?.status).toBe('pending');

    const first = await sut.respondToChallenge(c1, acct.id);
    expect(first?.started).toBe(true);
    expect(statusOf(first, c1)).toBe('processing');
    expect(statusOf(first, c2)).toBe('pending');
    expect((await sut.getChallenge(c1))?.status).toBe('processing');
    const again = await sut.respondToChallenge(c1, acct.id);
    expect(again?.started).toBe(false);
    expect(statusOf(again, c1)).toBe('processing');

    const expired = { ...newAuthz('j2.example.test'), expires: '2000-01-01T00:00:00.000Z' };
    await order(acct.id, [expired]);
    const late = await sut.respondToChallenge(expired.challenges[0]!.id, acct.id);
    expect(late?.started).toBe(false);
    expect((await sut.getChallenge(expired.challenges[0]!.id))?.status).toBe('pending');
    expect(await sut.respondToChallenge('no-such-challenge', acct.id)).toBeUndefined();
  });
});
