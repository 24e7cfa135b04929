import { abortableSleep, type Clock, type SqlClient } from '@pipewright/core';
import { InFlightTimeoutError } from '../errors.ts';

/** What the upper-bound statement said to wait for: a cluster-wide transaction-id fence, or a table's writers. */
export interface InFlight {
  fence: string | null;
  writers: string[] | null;
}

/**
 * Waits until the transactions that could still commit rows at or below the bound have ended. With `writers` (the
 * virtual transaction ids that held a write lock on the source table when the bound was taken), until none of them
 * is running. With a `fence` (a transaction id assigned in that statement), until every older transaction id has
 * ended — a snapshot's in-flight list is not enough: it omits running ids at or above its xmax. After that, every
 * row those transactions wrote is either committed and visible to our later reads, or rolled back.
 */
export async function waitForInFlight(
  sql: SqlClient,
  inFlight: InFlight,
  clock: Clock,
  timeoutMs: number,
  pollMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (inFlight.fence === null && (inFlight.writers === null || inFlight.writers.length === 0)) return;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const { rows } =
      inFlight.fence !== null
        ? await sql.query<{ xid: string }>(
            `SELECT x::text AS xid FROM pg_snapshot_xip(pg_current_snapshot()) AS x WHERE x < $1::xid8
             UNION SELECT pg_snapshot_xmin(pg_current_snapshot())::text
             WHERE pg_snapshot_xmin(pg_current_snapshot()) < $1::xid8`,
            [inFlight.fence],
          )
        : await sql.query<{ xid: string }>(
            // A transaction holds the lock on its own virtual transaction id for as long as it runs.
            `SELECT virtualxid AS xid FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY($1::text[])`,
            [inFlight.writers],
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
