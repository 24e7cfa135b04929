import type { ErrorKind } from '@pipewright/core';

/** Where an entry is in its life: `pending` → `replaying` → `resolved` | `discarded` | `parked`. */
export type DeadLetterState = 'pending' | 'replaying' | 'resolved' | 'discarded' | 'parked';

/** Every state, in lifecycle order. */
export const DEAD_LETTER_STATES: readonly DeadLetterState[] = Object.freeze([
  'pending',
  'replaying',
  'resolved',
  'discarded',
  'parked',
]);

/** One failure to record. */
export interface DeadLetterInput<T = unknown> {
  /** The original record; bigint, Date, Buffer, Map, Set, NaN, -0 and nested JSON survive (see `encodeValue`). */
  record: T;
  /** What went wrong; a non-Error is wrapped, keeping the value as `cause`. */
  error: unknown;
  /** The pipeline (job) the record belongs to. */
  pipeline: string;
  /** The step that failed. @default '' */
  step?: string;
  /** The run that saw the failure. */
  runId?: string;
  /** Where the record came from, e.g. `{ table: 'orders', key: 42n }` or `{ api: '/orders', page: 7 }`. */
  source?: Record<string, unknown>;
  /** How many attempts the caller made before giving up. @default 1 */
  attempt?: number;
  /**
   * Makes re-sending the same failure update one entry (count, last time) instead of adding another.
   * @default derived from `pipeline`, `step` and `source` when given, otherwise a hash of the record's content
   */
  idempotencyKey?: string;
  /** When it failed. @default the queue clock's now */
  failedAt?: Date;
}

/** The error as captured at the time of failure. */
export interface CapturedError {
  /** `error.name`, e.g. `ZodError`. */
  class: string;
  /** `error.code` as a string (a SQLSTATE, `PW_…`, `ECONNRESET`), or null. */
  code: string | null;
  message: string;
  stack: string | null;
  /** Core's classification at capture time. */
  kind: ErrorKind;
  reason: string;
}

/** One dead letter. */
export interface DeadLetterEntry<T = unknown> {
  id: string;
  state: DeadLetterState;
  idempotencyKey: string;
  pipeline: string;
  step: string;
  runId: string | null;
  source: Record<string, unknown> | null;
  record: T;
  error: CapturedError;
  /** Attempts the caller made before dead-lettering (as sent last). */
  attempt: number;
  /** How many times this failure was sent (idempotent re-sends add up here). */
  failureCount: number;
  /** How many redrives of this entry failed. */
  redriveCount: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  updatedAt: Date;
}

/** One transition in an entry's audit trail. */
export interface AuditEvent {
  at: Date;
  from: DeadLetterState | null;
  to: DeadLetterState;
  /** Who made the transition (`send`, a redrive worker, an operator). */
  by: string;
  why: string;
}

export interface SendResult {
  id: string;
  /** False when an existing entry with the same idempotency key was updated instead. */
  created: boolean;
}

/** Narrows list, count, stats, redrive and purge. Every field is optional; all given ones must match. */
export interface DeadLetterFilter {
  pipeline?: string;
  step?: string;
  errorCode?: string;
  runId?: string;
  state?: DeadLetterState | readonly DeadLetterState[];
  /** Only entries whose last failure is at or before this time (older entries). */
  failedBefore?: Date;
  /** Only entries whose last failure is at or after this time (newer entries). */
  failedAfter?: Date;
}

export interface ListOptions extends DeadLetterFilter {
  /** @default 100 */
  limit?: number;
  /** Entries with an id after this one (keyset paging, in id order). */
  after?: string;
}

export type StatsDimension = 'pipeline' | 'step' | 'errorCode' | 'state';

export interface StatsRow {
  pipeline?: string;
  step?: string;
  errorCode?: string | null;
  state?: DeadLetterState;
  entries: number;
  failures: number;
  oldestFailureAt: Date;
  newestFailureAt: Date;
}

export interface RunRate {
  runId: string;
  deadLettered: number;
  total: number;
  /** `deadLettered / total` (0 when total is 0). */
  rate: number;
}

/** What a redrive handler may return: `'discard'` drops the entry on purpose; anything else resolves it. */
export type RedriveVerdict = 'resolve' | 'discard';

/**
 * Re-processes one entry. Returning (or resolving) marks it resolved, returning `'discard'` discards it, and
 * throwing returns it to pending (or parks it after `maxRedrives`).
 */
export type RedriveHandler<T = unknown> = (entry: DeadLetterEntry<T>) => unknown;

export interface RedriveOptions {
  /** Which entries to redrive (state is always pending, or replaying with an expired lease). */
  filter?: Omit<DeadLetterFilter, 'state'>;
  /** Most entries to process in this call. @default Infinity (until none are claimable) */
  limit?: number;
  /** Most handler calls started per second. @default Infinity */
  ratePerSecond?: number;
  /** Handler calls in flight at once. @default 1 */
  concurrency?: number;
  /** Who is redriving, for the audit trail. @default `redrive:<pid>` */
  by?: string;
  /** Stops claiming new entries; entries in flight finish. */
  signal?: AbortSignal;
}

export interface RedriveResult {
  /** Entries handed to the handler. */
  processed: number;
  resolved: number;
  discarded: number;
  /** Returned to pending after a failed attempt. */
  failed: number;
  /** Parked after reaching `maxRedrives`. */
  parked: number;
  /** Finished after their lease had expired and another worker had taken them: the outcome was not recorded. */
  leaseLost: number;
}

export type RedriveOutcome = 'resolved' | 'discarded' | 'failed' | 'parked' | 'lease-lost';

export interface TransitionOptions {
  by?: string;
  why?: string;
}

export interface PurgeOptions {
  /** Entries last updated more than this many days ago. */
  olderThanDays: number;
  /**
   * Which states to purge. Pending, replaying and parked entries are purged only when listed here explicitly.
   * @default ['resolved', 'discarded']
   */
  states?: readonly DeadLetterState[];
}

/** One interface, two backends: `createPostgresDeadLetterQueue` and `createRedisDeadLetterQueue`. */
export interface DeadLetterQueue {
  readonly backend: 'postgres' | 'redis';
  /** Creates the table/indexes (PostgreSQL migration) or the consumer group (Redis). Idempotent. */
  setup(): Promise<void>;
  send<T>(input: DeadLetterInput<T>): Promise<SendResult>;
  /** Writes a whole batch atomically in one round trip per batch: all entries, or none and a rejection. */
  sendMany<T>(inputs: readonly DeadLetterInput<T>[]): Promise<SendResult[]>;
  get<T = unknown>(id: string): Promise<DeadLetterEntry<T> | undefined>;
  /** The audit trail, oldest first; the first event is the original failure. */
  history(id: string): Promise<AuditEvent[]>;
  list<T = unknown>(options?: ListOptions): Promise<DeadLetterEntry<T>[]>;
  count(filter?: DeadLetterFilter): Promise<number>;
  stats(by: readonly StatsDimension[], filter?: DeadLetterFilter): Promise<StatsRow[]>;
  /** Dead-letter rate of a run: entries carrying `runId` over the `total` records the run read. */
  runRate(runId: string, total: number): Promise<RunRate>;
  redrive<T = unknown>(handler: RedriveHandler<T>, options?: RedriveOptions): Promise<RedriveResult>;
  /** Redrives one entry by id (also a parked or discarded one). Throws when it is missing or being replayed. */
  redriveOne<T = unknown>(id: string, handler: RedriveHandler<T>, options?: TransitionOptions): Promise<RedriveOutcome>;
  /** Moves an entry to `discarded`. */
  discard(id: string, options?: TransitionOptions): Promise<void>;
  /** Moves a parked or discarded entry back to `pending`, resetting its redrive count. */
  requeue(id: string, options?: TransitionOptions): Promise<void>;
  /** Deletes old resolved/discarded entries (and their audit trail); returns how many. */
  purge(options: PurgeOptions): Promise<number>;
}
