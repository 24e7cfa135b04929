import type { SqlClient } from '@pipewright/core';
import type { DriftReport } from '@pipewright/quality';
import type { KeysetPosition, KeysetSource, StateStore } from '@pipewright/watermark';
import type { TableDefinition, WriterTable } from '@pipewright/writers';
import type { LineageClientLike, LineageDataset, StepContext, StepMetricsLike } from '../types.ts';

/** One dead letter as `@pipewright/dlq`'s `DeadLetterQueue.sendMany` takes it. */
export interface SyncDeadLetter {
  record: unknown;
  error: Error;
  pipeline: string;
  step: string;
  runId: string | undefined;
  source: Record<string, unknown>;
}

/** Where rejected records go: a `DeadLetterQueue` from `@pipewright/dlq`, or anything with `sendMany`. */
export interface DeadLetterSink {
  sendMany(inputs: readonly SyncDeadLetter[]): Promise<unknown>;
}

/** What one committed page did. */
export interface SyncPage {
  index: number;
  read: number;
  valid: number;
  rejected: number;
  deadLettered: number;
  inserted: number;
  updated: number;
  unchanged: number;
  position: KeysetPosition;
}

export interface IncrementalSyncOptions {
  /** One client for source, target and state: data and the new watermark commit in one transaction. */
  sql: SqlClient;
  /** The sync's name: default state key, dead-letter `pipeline`, metrics and lineage step. */
  name: string;
  /** `{ table: 'shop.orders' }` or `{ query, params }` (read-only). */
  source: KeysetSource;
  /** The target, from `defineTable()` / `tableFromZod()` of `@pipewright/writers`. */
  target: WriterTable | TableDefinition;
  /** zod schema of a valid row (strict by default: unknown fields are drift). */
  schema: Parameters<typeof import('@pipewright/quality').validateBatch>[1];
  /** Unique key column(s) of the source (and of the target). */
  key: string | readonly string[];
  /** Cursor column of the source (`updated_at`…). */
  cursor: string;
  /** The watermark store; a `pgStateStore` on the same database makes data + position one transaction. */
  state: StateStore;
  /** @default name */
  stateKey?: string;
  /** Rows per page. @default 5000 */
  pageSize?: number;
  /** ms the read bound stays behind the database clock (late-committing writers). @default 0 */
  lag?: number;
  /**
   * Wait for transactions in flight when the read bound is taken (see `@pipewright/watermark`; the wait is
   * database-wide, so an unrelated long transaction delays the sync). @default true
   */
  waitForInFlight?: boolean;
  /** Give up waiting for in-flight transactions after this many ms (`InFlightTimeoutError`). @default 30000 */
  inFlightTimeout?: number;
  /** Version column for `merge`: an older row never overwrites a newer one. @default none */
  version?: string;
  /** What unknown fields do: `fail` the sync, `quarantine` the records, or `evolve` (keep them). @default 'fail' */
  drift?: 'fail' | 'quarantine' | 'evolve';
  /** Share of rejected records per page above which the sync fails (after dead-lettering them). @default 1 */
  maxRejectRate?: number;
  /** Rejected records (validation or database refusal) with their reason. One of this or `onReject` is required. */
  deadLetters?: DeadLetterSink;
  /** Also (or instead) told about every rejected record. */
  onReject?: (rejects: readonly SyncDeadLetter[]) => void | Promise<void>;
  /** `@pipewright/metrics` pipeline metrics (or a run of them): counts recorded per page. @default none */
  metrics?: StepMetricsLike & { setWatermark?(step: string, position: Date | number): void };
  /** A lineage run (START, COMPLETE with datasets / FAIL) through a `@pipewright/lineage` client. @default none */
  lineage?: { client: LineageClientLike; inputs?: LineageDataset[]; outputs?: LineageDataset[] };
  /** Inside a job step: stops on its signal, checks its lease in each commit, reports counts and checksum. */
  context?: StepContext;
  /** Stops between pages. @default context.signal */
  signal?: AbortSignal;
  /** After each committed page (progress bars). */
  onPage?: (page: SyncPage) => void;
  /** Inside each page's transaction, after the write and before the watermark commit. */
  beforeCommit?: (tx: SqlClient, page: SyncPage) => Promise<void>;
}

export interface IncrementalSyncResult {
  pages: number;
  read: number;
  valid: number;
  rejected: number;
  deadLettered: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** The committed position after the last page (undefined when nothing was read). */
  position: KeysetPosition | undefined;
  /** Unknown, missing and mistyped fields seen in rejected records, merged over pages. */
  drift: DriftReport;
  /** `createRowChecksum()` of the valid rows written. */
  checksum: string;
  durationMs: number;
}
