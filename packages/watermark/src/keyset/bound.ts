import { abortableSleep, type Clock, type SqlClient } from '@pipewright/core';
import { InFlightTimeoutError } from '../errors.ts';

/**
 * Waits until every transaction whose id is older than `fence` has ended. `fence` is a transaction id assigned in
 * the statement that took the upper bound, so every writer that already had an id then is older. (A snapshot's
 * in-flight list is not enough: it omits transactions with ids at or above its xmax, which can still be running.)
 * After that, every row such a transaction wrote is either committed and visible to our later reads, or rolled back.
 */
export async function waitForInFlight(
  sql: SqlClient,
  fence: string,
  clock: Clock,
  timeoutMs: number,
  pollMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    // Transactions older than the fence still running: the in-flight list below the snapshot's xmax, plus the
    // oldest running one (xids at or above xmax are not listed but are at least xmin).
    const { rows } = await sql.query<{ xid: string }>(
      `SELECT x::text AS xid FROM pg_snapshot_xip(pg_current_snapshot()) AS x WHERE x < $1::xid8
       UNION SELECT pg_snapshot_xmin(pg_current_snapshot())::text WHERE pg_snapshot_xmin(pg_current_snapshot()) < $1::xid8`,
      [fence],
    );
    if (rows.length === 0) return;
    if (clock.now() >= deadline)
      throw new InFlightTimeoutError(
        rows.map((row) => row.xid),
        timeoutMs,
      );
    await abortableSleep(clock, pollMs, signal);
  }
}
