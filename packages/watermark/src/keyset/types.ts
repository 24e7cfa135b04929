import type { Clock, SqlClient, TableRef } from '@pipewright/core';
import type { StateStore } from '../state/types.ts';

/** A keyset position: the last row's cursor (canonical UTC text, ISO date, or integer text) and key values as text. */
export interface KeysetPosition {
  cursor: string;
  key: string[];
}

/** Where the rows come from: a table, or a read-only query whose `$1…$n` are bound to `params`. */
export type KeysetSource = { table: TableRef } | { query: string; params?: readonly unknown[] };

/** Lease settings for runners that may overlap (cron overruns, several machines). */
export interface LeaseOptions {
  /** Who holds the lease (host/pid/job id). */
  owner: string;
  /** Lease duration in ms. @default 30000 */
  ttlMs?: number;
  /** Heartbeat period in ms (renews the lease). @default ttlMs / 3 */
  heartbeatMs?: number;
}

export interface KeysetOptions {
  source: KeysetSource;
  /** Cursor column: `timestamptz`, `date`, `smallint`/`integer`/`bigint`, or `timestamp` with `timeZone`. */
  cursor: string;
  /** Unique key column(s); `(cursor, key)` must be unique. Index `(cursor, key)` for speed. */
  key: string | readonly string[];
  /** Where the committed position lives. */
  state: StateStore;
  /** Name of this extraction's position in the store. */
  stateKey: string;
  /** Rows per page. At most two pages are held at once (on a pool the next one is read ahead). @default 5000 */
  pageSize?: number;
  /**
   * Hold the upper bound this many ms behind the database's `now()` (time cursors only), so rows whose cursor was
   * assigned up to `lag` ms before their transaction committed are still read. @default 0
   */
  lag?: number;
  /**
   * Before reading, wait until every transaction that was writing the source when the upper bound was taken has
   * ended, so none of them can later commit a row at or below the bound. @default true
   */
  waitForInFlight?: boolean;
  /**
   * Tables whose writers to wait for. Default: the source table; for a query source without it, every older
   * transaction of the cluster (a transaction-id fence, which needs a primary).
   */
  waitFor?: readonly TableRef[];
  /** Give up waiting for in-flight transactions after this many ms (`InFlightTimeoutError`). @default 30000 */
  inFlightTimeout?: number;
  /** Poll period while waiting for in-flight transactions, in ms. @default 25 */
  pollInterval?: number;
  /** `statement_timeout` for each read, in ms (each read then runs in its own short transaction). */
  statementTimeout?: number;
  /** IANA zone of a `timestamp without time zone` cursor, e.g. `'Europe/Paris'` or `'UTC'`. */
  timeZone?: string;
  /** Write the state every N committed pages (and always after the last page). @default 1 */
  checkpointEvery?: number;
  /**
   * Backfill window `[start, end)` on the cursor, written like a position (`'2026-01-01T00:00:00Z'`, `'2026-01-01'`,
   * `'1000'`). Give it its own `stateKey`: the main position is not touched, so windows can run in parallel.
   */
  window?: { start: string; end: string };
  /**
   * Called once per run with the upper bound, and for a `window` whether all of it lies at or below the bound
   * (`windowClosed`: nothing can still arrive in it, so a partition may be marked done).
   */
  onBound?: (bound: { upper: string; windowClosed: boolean }) => void;
  /** Hold a fenced lease on `stateKey` for the run. */
  lease?: LeaseOptions;
  /** @default systemClock */
  clock?: Clock;
  /** Stops the run between pages. */
  signal?: AbortSignal;
}

/** One page of rows, to be written by the caller and then committed. */
export interface KeysetPage<Row> {
  readonly rows: Row[];
  /** Position of the last row of this page. */
  readonly position: KeysetPosition;
  /** 0-based page number in this run. */
  readonly index: number;
  /** True for the last page of the run (nothing more up to the upper bound). */
  readonly last: boolean;
  /**
   * Marks the page as written and advances the state. With the PostgreSQL store, pass the transaction that wrote
   * the rows: the position is written inside it. Call it only after your write succeeded.
   */
  commit(tx?: SqlClient): Promise<void>;
}
