import type { Migration, MigrationProvider } from 'kysely';
import type { DatabaseDialect } from '../database-url.js';
import { enrollments0001 } from './0001_enrollments.js';
import { acme0002 } from './0002_acme.js';
import { scep0003 } from './0003_scep.js';
import { acmeOrderEnrollment0004 } from './0004_acme_order_enrollment.js';
import { scepRaIdentities0005 } from './0005_scep_ra_identities.js';

/**
 * The one migration list for both dialects, in code rather than scanned from a folder, so it
 * works from dist and from a bundle. Names sort in apply order; never rename or edit an applied
 * migration: add the next one.
 */
export function storeMigrations(dialect: DatabaseDialect): Record<string, Migration> {
  return {
    '0001_enrollments': enrollments0001(dialect),
    '0002_acme': acme0002(),
    '0003_scep': scep0003(),
    '0004_acme_order_enrollment': acmeOrderEnrollment0004(),
    '0005_scep_ra_identities': scepRaIdentities0005(),
  };
}

/** The same list as a Kysely MigrationProvider, for Kysely's own Migrator (e.g. migrateDown in dev). */
export class StoreMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: DatabaseDialect) {}

  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(storeMigrations(this.dialect));
  }
}
