import { abortableSleep, type Clock, type SqlClient } from '@pipewright/core';
import { InFlightTimeoutError } from '../errors.ts';

/**
 * Waits until no transaction of `snapshot`'s in-flight list is still running. After that, every row such a
 * transaction wrote is either committed (and visible to our later reads) or rolled back.
 */
export async function waitForInFlight(
  sql: SqlClient,
  snapshot: string,
  clock: Clock,
  timeoutMs: number,
  pollMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql.query<{ xid: string }>(
      `SELECT x::text AS xid FROM pg_snapshot_xip($1::pg_snapshot) AS x WHERE pg_xact_status(x) = 'in progress'`,
      [snapshot],
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
