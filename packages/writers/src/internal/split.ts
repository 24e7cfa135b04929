import { classify, type SqlClient } from '@pipewright/core';
import type { Batch } from './batch.ts';

interface DatabaseError {
  message: string;
  code?: string;
  column?: string;
}

/** A failure PostgreSQL attributes to the data (classes 22 and 23), as opposed to the connection or the SQL. */
export function isRecordFailure(error: unknown): boolean {
  return classify(error).kind === 'record';
}

/**
 * Runs `attempt` on the rows at `order` inside a savepoint. When the database refuses the data, splits the rows
 * in halves and retries each, until the refused records stand alone; they are reported with the database's
 * reason and the rest is written. `combine` adds up the results of the parts.
 */
export async function splitOnRecordFailure<Row, Result>(
  tx: SqlClient,
  batch: Batch<Row>,
  order: Uint32Array,
  attempt: (tx: SqlClient, order: Uint32Array) => Promise<Result>,
  combine: (a: Result, b: Result) => Result,
  empty: Result,
): Promise<Result> {
  if (order.length === 0) return empty;
  try {
    return await tx.transaction((savepoint) => attempt(savepoint, order));
  } catch (error) {
    if (!isRecordFailure(error)) throw error;
    if (order.length === 1) {
      const failure = error as DatabaseError;
      const extra: { code?: string; column?: string } = {};
      if (failure.code !== undefined) extra.code = failure.code;
      if (failure.column !== undefined) extra.column = failure.column;
      batch.reject(order[0] as number, failure.message, extra);
      return empty;
    }
    const middle = order.length >>> 1;
    const left = await splitOnRecordFailure(tx, batch, order.subarray(0, middle), attempt, combine, empty);
    const right = await splitOnRecordFailure(tx, batch, order.subarray(middle), attempt, combine, empty);
    return combine(left, right);
  }
}
