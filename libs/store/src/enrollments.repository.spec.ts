import { withDatabases, type OpenedTestDatabase } from '../../../test/support/databases.js';
import { openDatabase, type StoreDatabase } from './database.js';
import { EnrollmentRepository } from './enrollments.repository.js';
import { EnrollmentNotFoundError } from './errors.js';
import { migrateToLatest } from './migrate.js';
import { aDeniedResult, aFailedResult, anEnrollJob, anIssuedResult, aPendingResult, steppingClock } from './testing/fixtures.js';

const databases = await withDatabases();

describe(EnrollmentRepository.name, () => {
  describe.each(databases)('on $name', ({ open }) => {
    let target: OpenedTestDatabase;
    let database: StoreDatabase;
    let sut: EnrollmentRepository;
    const extra: StoreDatabase[] = [];

    /** Another connection (pool / file handle) to the same database: a second consumer. */
    const secondConsumer = (): EnrollmentRepository => {
      const other = openDatabase(target.url);
      extra.push(other);
      return new EnrollmentRepository(other, { now: steppingClock() });
    };

    beforeEach(async () => {
      target = await open();
      database = openDatabase(target.url);
      await migrateToLatest(database);
      sut = new EnrollmentRepository(database, { now: steppingClock(), newId: () => 'enr_1' });
    });

    afterEach(async () => {
      await Promise.all(extra.splice(0).map((d) => d.close()));
      await database?.close();
      await target?.cleanup();
    });

    describe('createOrGet', () => {
      it('creates a queued enrollment and returns it decoded', async () => {
        const { enrollment, created } = await sut.createOrGet(anEnrollJob(), 'acme-ord_01HZX');
        expect(created).toBe(true);
        expect(enrollment).toEqual({
          id: 'enr_1',
          protocol: 'acme',
          requestKey: 'ord_01HZX',
          jobId: 'acme-ord_01HZX',
          status: 'queued',
          template: 'WebServer',
          caPool: 'corp',
          csr: anEnrollJob().csr,
          requester: { protocol: 'acme', subject: 'https://acme.example/acct/1', remoteAddress: '10.0.0.7' },
          attributes: { CertificateTemplate: 'WebServer' },
          certificate: null,
          chain: null,
          ca: null,
          error: null,
          attempts: 0,
          createdAt: '2025-01-02T03:04:06.000Z',
          updatedAt: '2025-01-02T03:04:06.000Z',
          completedAt: null,
        });
      });

      it('returns the stored enrollment for a retried request (same protocol and request key)', async () => {
        const first = await sut.createOrGet({ ...anEnrollJob(), id: 'ord_a' }, 'acme-ord_01HZX');
        const retried = await sut.createOrGet({ ...anEnrollJob({ csr: 'OTHER', template: 'Other' }), id: 'ord_b' }, 'acme-ord_01HZX');
        expect(retried.created).toBe(false);
        expect(retried.enrollment).toEqual(first.enrollment);
        expect(await sut.countByStatus()).toMatchObject({ queued: 1 });
      });

      it('keeps the same request key apart per protocol', async () => {
        await sut.createOrGet({ ...anEnrollJob(), id: 'a' }, 'acme-x');
        const scep = await sut.createOrGet({ ...anEnrollJob({ protocol: 'scep' }), id: 's' }, 'scep-x');
        expect(scep.created).toBe(true);
      });

      it('creates exactly once when many front-end pods race on one request', async () => {
        const other = secondConsumer();
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? other : sut).createOrGet({ ...anEnrollJob(), id: `id_${i}` }, 'acme-ord_01HZX')),
        );
        expect(outcomes.filter((o) => o.created)).toHaveLength(1);
        expect(new Set(outcomes.map((o) => o.enrollment.id)).size).toBe(1);
      });

      it('stores absent optional fields as null', async () => {
        const job = anEnrollJob();
        delete job.caPool;
        delete job.attributes;
        const { enrollment } = await sut.createOrGet(job, 'j');
        expect(enrollment).toMatchObject({ caPool: null, attributes: null });
      });
    });

    describe('get and getById', () => {
      it('find an enrollment by request or by id, and nothing for an unknown one', async () => {
        const { enrollment } = await sut.createOrGet(anEnrollJob(), 'j');
        expect(await sut.get('acme', 'ord_01HZX')).toEqual(enrollment);
        expect(await sut.getById('enr_1')).toEqual(enrollment);
        expect(await sut.get('scep', 'ord_01HZX')).toBeUndefined();
        expect(await sut.getById('nope')).toBeUndefined();
      });
    });

    describe('recordResult', () => {
      beforeEach(async () => {
        await sut.createOrGet(anEnrollJob(), 'acme-ord_01HZX');
      });

      it('issues a queued enrollment with its certificate, chain and CA', async () => {
        const outcome = await sut.recordResult(anIssuedResult());
        expect(outcome).toMatchObject({ applied: true, changed: true });
        expect(outcome.enrollment).toMatchObject({
          status: 'issued',
          certificate: 'MIIDleafDER',
          chain: ['MIIDissuer', 'MIIDroot'],
          ca: { caRequestId: 4_000_000_123, host: 'ca1.corp.example', caName: 'Corp Issuing CA' },
          attempts: 1,
          completedAt: '2025-01-02T03:10:00.000Z',
        });
        expect(await sut.get('acme', 'ord_01HZX')).toEqual(outcome.enrollment);
      });

      it('moves pending then issued to issued', async () => {
        const pending = await sut.recordResult(aPendingResult());
        expect(pending.enrollment).toMatchObject({ status: 'pending', ca: { caRequestId: 4_000_000_123 }, completedAt: null });
        const issued = await sut.recordResult(anIssuedResult({ attempts: 2 }));
        expect(issued).toMatchObject({ applied: true, changed: true });
        expect(issued.enrollment).toMatchObject({ status: 'issued', attempts: 3 });
      });

      it('keeps an issued enrollment issued when a failure arrives later', async () => {
        const issued = await sut.recordResult(anIssuedResult());
        const late = await sut.recordResult(aFailedResult());
        expect(late).toMatchObject({ applied: true, changed: false });
        expect(late.enrollment).toEqual(issued.enrollment);
        expect(await sut.get('acme', 'ord_01HZX')).toEqual(issued.enrollment);
      });

      it('keeps a denial final against a later issuance', async () => {
        await sut.recordResult(aDeniedResult());
        const late = await sut.recordResult(anIssuedResult());
        expect(late.enrollment).toMatchObject({
          status: 'denied',
          certificate: null,
          error: { code: 'CA_DENIED', message: 'The requested certificate template is not supported by this CA.', status: '0x80094800' },
        });
      });

      it('does not move an issued enrollment back to pending (a late poll answer)', async () => {
        await sut.recordResult(anIssuedResult());
        const late = await sut.recordResult(aPendingResult());
        expect(late.enrollment.status).toBe('issued');
      });

      it('ignores a duplicate result: applied=false and nothing changes', async () => {
        const first = await sut.recordResult(aPendingResult());
        const duplicate = await sut.recordResult(aPendingResult({ message: 'delivered twice', attempts: 9 }));
        expect(duplicate).toEqual({ applied: false, changed: false, enrollment: first.enrollment });
        expect(await sut.get('acme', 'ord_01HZX')).toEqual(first.enrollment);
      });

      it('refuses a result for an unknown enrollment and records nothing', async () => {
        await expect(sut.recordResult(anIssuedResult({ requestKey: 'ord_unknown' }))).rejects.toBeInstanceOf(EnrollmentNotFoundError);
        const rows = await database.db.selectFrom('enrollment_results').selectAll().execute();
        expect(rows).toEqual([]);
      });

      it('applies a result exactly once when two consumers record it concurrently', async () => {
        const other = secondConsumer();
        const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other : sut).recordResult(anIssuedResult())));
        expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
        expect(outcomes.every((o) => o.enrollment.status === 'issued')).toBe(true);
        const rows = await database.db.selectFrom('enrollment_results').select('result_key').execute();
        expect(rows).toEqual([{ result_key: 'acme|ord_01HZX|issued|4000000123' }]);
        expect((await sut.get('acme', 'ord_01HZX'))?.attempts).toBe(1);
      });

      it('lets exactly one of two different concurrent final results win', async () => {
        const other = secondConsumer();
        const [issued, failed] = await Promise.all([sut.recordResult(anIssuedResult()), other.recordResult(aFailedResult())]);
        expect([issued.changed, failed.changed].filter(Boolean)).toHaveLength(1);
        const winner = issued.changed ? 'issued' : 'failed';
        expect((await sut.get('acme', 'ord_01HZX'))?.status).toBe(winner);
      });

      it('persists the result as received, for audit', async () => {
        await sut.recordResult(aDeniedResult());
        const row = await database.db.selectFrom('enrollment_results').selectAll().executeTakeFirstOrThrow();
        expect(row).toMatchObject({ protocol: 'acme', request_key: 'ord_01HZX', outcome: 'denied', result_key: 'acme|ord_01HZX|denied|4000000123' });
        expect(JSON.parse(row.payload)).toEqual(aDeniedResult());
        expect(typeof row.id).toBe('number');
      });
    });

    describe('listByStatus and countByStatus', () => {
      it('list the oldest first, up to the limit, and count every status', async () => {
        for (const key of ['a', 'b', 'c']) await sut.createOrGet({ ...anEnrollJob({ requestKey: key }), id: key }, `acme-${key}`);
        await sut.recordResult(aPendingResult({ requestKey: 'b' }));
        await sut.recordResult(aPendingResult({ requestKey: 'a' }));
        await sut.recordResult(anIssuedResult({ requestKey: 'c' }));

        expect((await sut.listByStatus('pending', 10)).map((e) => e.requestKey)).toEqual(['b', 'a']);
        expect((await sut.listByStatus('pending', 1)).map((e) => e.requestKey)).toEqual(['b']);
        expect(await sut.listByStatus('denied', 10)).toEqual([]);
        expect(await sut.countByStatus()).toEqual({ queued: 0, pending: 2, issued: 1, denied: 0, failed: 0 });
      });

      it('refuses a limit that is not a positive integer', async () => {
        await expect(sut.listByStatus('queued', 0)).rejects.toThrow(RangeError);
      });
    });

    it('returns plain JS types from raw rows (numbers, strings, null)', async () => {
      await sut.createOrGet(anEnrollJob(), 'j');
      await sut.recordResult(anIssuedResult());
      const row = await database.db.selectFrom('enrollments').selectAll().executeTakeFirstOrThrow();
      const types = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? 'null' : typeof v]));
      expect(types).toEqual({
        id: 'string',
        protocol: 'string',
        request_key: 'string',
        job_id: 'string',
        status: 'string',
        template: 'string',
        ca_pool: 'string',
        csr: 'string',
        requester: 'string',
        attributes: 'string',
        certificate: 'string',
        chain: 'string',
        ca_host: 'string',
        ca_name: 'string',
        ca_request_id: 'number',
        error_code: 'null',
        error_message: 'null',
        error_status: 'null',
        attempts: 'number',
        created_at: 'string',
        updated_at: 'string',
        completed_at: 'string',
      });
      const counted = await database.db
        .selectFrom('enrollments')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(counted.n).toBe(1);
    });
  });

  it(`returns identical values on every dialect (${databases.map((d) => d.name).join(', ')})`, async () => {
    const snapshots: unknown[] = [];
    for (const { open } of databases) {
      const target = await open();
      const database = openDatabase(target.url);
      try {
        await migrateToLatest(database);
        const repo = new EnrollmentRepository(database, { now: steppingClock(), newId: () => 'fixed' });
        const created = await repo.createOrGet(anEnrollJob(), 'acme-ord_01HZX');
        const pending = await repo.recordResult(aPendingResult());
        const issued = await repo.recordResult(anIssuedResult());
        const duplicate = await repo.recordResult(anIssuedResult());
        snapshots.push({
          created,
          pending,
          issued,
          duplicate,
          list: await repo.listByStatus('issued', 5),
          counts: await repo.countByStatus(),
          results: await database.db.selectFrom('enrollment_results').selectAll().orderBy('id').execute(),
        });
      } finally {
        await database.close();
        await target.cleanup();
      }
    }
    for (const snapshot of snapshots.slice(1)) expect(snapshot).toEqual(snapshots[0]);
  });
});
