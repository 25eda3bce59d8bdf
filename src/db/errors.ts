// The two database failures the layers above act on. Neither carries the statement or its values:
// those hold emails and password hashes (see logger.ts).

/** The database cannot answer now (down, restarting, disk full, locked past the busy timeout): retry later. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(
    /** The driver's error code (ECONNREFUSED, 57P01, SQLITE_FULL …): safe to log. */
    readonly code: string,
  ) {
    super(`The database is unavailable (${code})`);
  }
}

/** A unique index refused a row. `constraint` names the index, when the driver says. */
export class UniqueViolationError extends Error {
  override readonly name = 'UniqueViolationError';
  constructor(readonly constraint: string | undefined) {
    super(`A unique constraint was violated${constraint ? ` (${constraint})` : ''}`);
  }
}
