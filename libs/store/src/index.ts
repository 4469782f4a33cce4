export * from './errors.js';
export { parseDatabaseUrl, redactDatabaseUrl, type DatabaseDialect, type DatabaseTarget, type PostgresTarget, type SqliteTarget } from './database-url.js';
export { openDatabase, type OpenDatabaseOptions, type StoreDatabase } from './database.js';
export { migrateToLatest } from './migrate.js';
export { StoreMigrationProvider, storeMigrations } from './migrations/index.js';
export { ENROLLMENT_STATUSES, type EnrollmentStatus, type Schema, type EnrollmentsTable, type EnrollmentResultsTable } from './schema.js';
export { isFinalStatus, resultKeyOf, type Enrollment } from './enrollment.js';
export { EnrollmentRepository, type CreateOrGetOutcome, type EnrollmentRepositoryOptions, type RecordResultOutcome } from './enrollments.repository.js';
export { databaseHealthCheck } from './health.js';
