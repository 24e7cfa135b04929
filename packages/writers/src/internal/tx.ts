import { InvalidOptionError, type SqlClient } from '@pipewright/core';

/**
 * Runs `fn` atomically: in a new transaction on `sql`, or, when the caller passes its own transaction, in a
 * savepoint of it, so a failure undoes only the writer's part and the caller still decides to commit.
 */
export function atomically<T>(
  sql: SqlClient,
  tx: SqlClient | undefined,
  fn: (tx: SqlClient) => Promise<T>,
): Promise<T> {
  if (tx !== undefined && !tx.inTransaction) {
    throw new InvalidOptionError('tx', 'a SqlClient bound to a transaction (the client passed to transaction(fn))', tx);
  }
  return (tx ?? sql).transaction(fn);
}

/** Validates the rows argument up front. */
export function assertRows(rows: unknown): asserts rows is readonly unknown[] {
  if (!Array.isArray(rows)) throw new InvalidOptionError('rows', 'an array of records', rows);
}
