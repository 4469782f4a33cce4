/**
 * Errors of the store, as classes with stable codes (STYLE.md "Processors and errors"), so an
 * app maps them without matching on messages. Messages never carry a database password.
 */
export const StoreErrorCode = {
  /** The database URL or an option is unusable; fix the configuration. */
  CONFIG: 'STORE_CONFIG',
  /** A migration failed; the run is one transaction, so none of its migrations is applied. */
  MIGRATION: 'STORE_MIGRATION',
  /** No enrollment for the (protocol, request key) a result names. */
  ENROLLMENT_NOT_FOUND: 'STORE_ENROLLMENT_NOT_FOUND',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class StoreConfigError extends StoreError {
  readonly code = StoreErrorCode.CONFIG;
}

export class StoreMigrationError extends StoreError {
  readonly code = StoreErrorCode.MIGRATION;

  constructor(
    message: string,
    /** Name of the migration that failed, when the failure was inside one. */
    readonly migrationName: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class EnrollmentNotFoundError extends StoreError {
  readonly code = StoreErrorCode.ENROLLMENT_NOT_FOUND;
}
